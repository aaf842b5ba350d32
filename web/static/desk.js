// The desk's only script: a list marked data-refresh is fetched again every 5 seconds (new requests appear
// without reloading). Nothing else depends on it: without it, reloading the page does the same.
"use strict";
document.querySelectorAll("[data-refresh]").forEach((element) => {
  const refresh = async () => {
    if (element.contains(document.activeElement)) return; // never under the advisor's cursor
    try {
      const answer = await fetch(element.dataset.refresh, { credentials: "same-origin" });
      if (answer.ok) element.innerHTML = await answer.text();
    } catch (error) { /* offline for a moment: the next round tries again */ }
  };
  setInterval(refresh, 5000);
});
