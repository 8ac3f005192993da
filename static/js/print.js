// Shows the print button only when JavaScript runs (without it, the browser's own print works).
document.querySelectorAll("button.print").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
