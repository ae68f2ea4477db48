// The language menu submits its form when a language is picked (no inline handler: the
// Content-Security-Policy allows scripts from our own files only).
document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
