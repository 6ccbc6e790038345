/* podops search: a box over the Pagefind index of titles, show notes and transcripts. The box
   stays hidden without JavaScript; Pagefind's script is loaded from this site on first use. */
(() => {
  "use strict";

  const make = (tag, attributes, text) => {
    const node = document.createElement(tag);
    Object.keys(attributes || {}).forEach((name) => node.setAttribute(name, attributes[name]));
    if (text) {
      node.textContent = text;
    }
    return node;
  };

  /* Pagefind's excerpt marks the words found with <mark>; it is read in an inert document and
     only its text and marks are kept, so nothing in it can become markup of this page. */
  const excerpt = (html) => {
    const paragraph = make("p", { class: "search__excerpt" });
    const parsed = new DOMParser().parseFromString("<body>" + html, "text/html").body;
    parsed.childNodes.forEach((node) => {
      paragraph.appendChild(node.nodeName === "MARK" ? make("mark", {}, node.textContent)
        : document.createTextNode(node.textContent));
    });
    return paragraph;
  };

  document.querySelectorAll("[data-search]").forEach((box) => {
    const input = box.querySelector("input");
    const status = box.querySelector(".search__status");
    const list = box.querySelector(".search__results");
    /* One index per show: the first one's script searches, the others' indexes are merged in. */
    const bundles = box.getAttribute("data-search").split(" ").map((link) => new URL(link, document.baseURI));
    const root = new URL(box.getAttribute("data-search-root"), document.baseURI);
    const show = box.getAttribute("data-search-scope") === "show";
    let pagefind = null;
    let asked = 0;

    const load = () => {
      pagefind = pagefind || import(bundles[0].href).then(async (module) => {
        await module.init();
        for (const other of bundles.slice(1)) {
          await module.mergeIndex(new URL("./", other).href);
        }
        return module;
      });
      return pagefind;
    };
    const render = async (term, results) => {
      list.textContent = "";
      const found = await Promise.all(results.slice(0, 10).map((result) => result.data()));
      found.forEach((data) => {
        const item = make("li", { class: "search__result" });
        const link = make("a", { href: new URL(data.url.replace(/^\//, ""), root).href },
                          (data.meta && data.meta.title) || data.url);
        item.appendChild(make("h3", { class: "search__title" })).appendChild(link);
        if (!show && data.meta && data.meta.show) {
          item.appendChild(make("p", { class: "search__show" }, data.meta.show));
        }
        item.appendChild(excerpt(data.excerpt || ""));
        list.appendChild(item);
      });
      const count = results.length;
      status.textContent = count ? count + (count === 1 ? " episode" : " episodes") + " found for “" + term + "”"
        : "No episode mentions “" + term + "”.";
    };
    const search = async () => {
      const term = input.value.trim();
      const ticket = ++asked;
      if (!term) {
        list.textContent = "";
        status.textContent = "";
        return;
      }
      try {
        const module = await load();
        const response = await module.debouncedSearch(term, {}, 200);
        if (response && ticket === asked) {
          await render(term, response.results);
        }
      } catch (error) {
        status.textContent = "Search is not available here (it needs the site served over HTTP).";
      }
    };

    box.hidden = false;
    input.addEventListener("input", search);
    input.addEventListener("focus", () => { load().catch(() => { /* reported on the first search */ }); },
                           { once: true });
    box.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  });
})();
