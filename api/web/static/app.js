// Small progressive enhancement; every page works without it.
// A form shown again with errors: take the keyboard to the first field that needs fixing.
document.addEventListener("DOMContentLoaded", () => {
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});
