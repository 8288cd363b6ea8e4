// The website example of tsuki: fills the targets table from /data/targets.json and says how the
// page was served. Plain ES2020, no build step, no dependencies.
(function () {
  "use strict";

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  async function targets() {
    var body = document.querySelector("#targets tbody");
    if (!body) return;
    try {
      var response = await fetch("/data/targets.json");
      if (!response.ok) throw new Error("HTTP " + response.status);
      var list = await response.json();
      body.textContent = "";
      list.forEach(function (target) {
        var row = document.createElement("tr");
        cell(row, target.name);
        cell(row, target.walls);
        cell(row, target.for);
        body.appendChild(row);
      });
    } catch (error) {
      body.innerHTML = "<tr><td colspan=\"3\">Could not load the targets: " + String(error.message || error) + "</td></tr>";
    }
  }

  async function served() {
    var span = document.getElementById("served");
    if (!span) return;
    try {
      var response = await fetch(location.pathname, { method: "HEAD", cache: "no-cache" });
      var etag = response.headers.get("etag") || "";
      var encoding = response.headers.get("content-encoding") || "identity";
      span.textContent = "This page: ETag " + etag.slice(0, 17) + (etag.length > 17 ? "…\"" : "") + ", " + encoding + ".";
    } catch (error) {
      span.textContent = "";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    targets();
    served();
  });
})();
