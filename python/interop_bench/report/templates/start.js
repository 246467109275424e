// Start the page: the card first, then the panel, the ranking, the table of
// every cell and the figures.
document.body.classList.add("js");
cardSetup();
panel();
syncPanel();
rankingSetup();
cellsSetup();
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details").forEach((d) => { d.dataset.wasOpen = String(d.open); d.open = true; });
});
window.addEventListener("afterprint", () => {
  document.querySelectorAll("details").forEach((d) => { d.open = d.dataset.wasOpen === "true"; });
});
rank();
document.getElementById("ib-code-close").addEventListener("click", () => {
  document.getElementById("ib-code").close();
});
drawAll().catch((error) => {
  document.body.classList.remove("js");  // the static figures stay in view
  document.getElementById("ib-error").textContent = `The interactive figures failed: ${error}`;
});
