// The archive's search, on a static host: the index (search/index.json) names one shard per
// month page (search/YYYY-MM.json, search/YYYY-MM-2.json...), read newest first and kept. An article matches when
// every word of the query is in its title, summary, keywords, site or author, accents and
// case aside. Results are built with DOM methods only: no text of an article is ever markup.
(function () {
  "use strict";
  var MAX_RESULTS = 100;
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var box = document.getElementById("search-box");
  if (!list || !status || !box) return;
  var indexUrl = new URL(list.getAttribute("data-index"), document.baseURI);
  var shards = null; // [{month, records}] once loaded, newest first
  var loading = null;
  var timer = 0;
  var asked = 0;

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function load() {
    if (loading) return loading;
    loading = fetch(indexUrl).then(function (answer) {
      if (!answer.ok) throw new Error("index " + answer.status);
      return answer.json();
    }).then(function (index) {
      return Promise.all(index.shards.map(function (shard) {
        return fetch(new URL(shard + ".json", indexUrl)).then(function (answer) {
          if (!answer.ok) throw new Error("shard " + answer.status);
          return answer.json();
        }).then(function (records) {
          records.forEach(function (record) {
            record.hay = fold([record.t, record.s, record.k.join(" "), record.w].join(" "));
            record.title = fold(record.t);
          });
          return records;
        });
      }));
    }).then(function (all) {
      shards = all;
      return all;
    });
    return loading;
  }

  function show(query, found) {
    list.textContent = "";
    found.forEach(function (record) {
      var item = document.createElement("li");
      item.className = "entry";
      var heading = document.createElement("h2");
      heading.setAttribute("dir", "auto");
      var link = document.createElement("a");
      link.href = new URL(record.u, document.baseURI).href;
      link.textContent = record.t;
      heading.appendChild(link);
      var meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = record.d + (record.w ? " · " + record.w : "");
      var summary = document.createElement("p");
      summary.className = "summary";
      summary.setAttribute("dir", "auto");
      summary.textContent = record.s;
      item.appendChild(heading);
      item.appendChild(meta);
      item.appendChild(summary);
      list.appendChild(item);
    });
    var count = found.length;
    status.textContent = count === 0 ? "No article matches \u201c" + query + "\u201d."
      : (count >= MAX_RESULTS ? "The first " + count : count) + " article" +
        (count === 1 ? " matches" : "s match") + " \u201c" + query + "\u201d.";
  }

  function search(query) {
    var ask = ++asked;
    var words = fold(query).split(/\s+/).filter(Boolean);
    if (!words.length) {
      list.textContent = "";
      status.textContent = "Type a word in the search box above.";
      return;
    }
    status.textContent = "Searching\u2026";
    load().then(function (all) {
      if (ask !== asked) return; // a newer query is on its way
      var inTitle = [];
      var elsewhere = [];
      all.forEach(function (records) {
        records.forEach(function (record) {
          if (words.every(function (word) { return record.hay.indexOf(word) !== -1; })) {
            var title = words.every(function (word) { return record.title.indexOf(word) !== -1; });
            (title ? inTitle : elsewhere).push(record);
          }
        });
      });
      show(query.trim(), inTitle.concat(elsewhere).slice(0, MAX_RESULTS));
    }).catch(function () {
      if (ask === asked) status.textContent = "The search index could not be read.";
    });
  }

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var url = new URL(window.location.href);
      url.searchParams.set("q", box.value);
      window.history.replaceState(null, "", url.href);
      search(box.value);
    }, 150);
  });
  var initial = new URL(window.location.href).searchParams.get("q") || "";
  if (initial) {
    box.value = initial;
    search(initial);
  }
})();
