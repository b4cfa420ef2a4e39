// The console's one script: the copy buttons. Everything else works
// without it (the values can be selected and copied by hand).
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) {
    return;
  }
  const field = document.getElementById(button.dataset.copy);
  const status = button.closest("section, form, .card")?.querySelector(".copied") ?? document.querySelector(".copied");
  if (!field) {
    return;
  }
  const text = field.value ?? field.textContent;
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch {
    // No clipboard API (an insecure context, or denied): select the
    // text, so one keystroke copies it.
    field.focus();
    field.select?.();
  }
  if (status) {
    status.textContent = done ? "Copied to the clipboard." : "Selected: press Ctrl+C (or ⌘C) to copy.";
  }
});

// A form that makes a secret is sent once: a second click would only be
// recognised as a repeat (its one-time token) and show no secret.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-once]")) {
    return;
  }
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
});
