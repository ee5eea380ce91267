// Progressive enhancement: every form works without this script. With it, answers
// stream in (server-sent events over fetch), uploads show progress, destructive
// buttons ask first. No external code; served from 'self' under a strict CSP.
"use strict";

function csrfOf(form) {
  const field = form.querySelector('input[name="csrf"]');
  return field ? field.value : "";
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Confirmation for destructive forms.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
}, true);

// A field's rules in words (data-rules) instead of "Please match the requested format.".
document.addEventListener("invalid", (event) => {
  const field = event.target;
  const rules = field.getAttribute && field.getAttribute("data-rules");
  if (rules && field.validity.patternMismatch) field.setCustomValidity(rules);
}, true);
document.addEventListener("input", (event) => {
  if (event.target.hasAttribute && event.target.hasAttribute("data-rules")) {
    event.target.setCustomValidity("");
  }
});

// A select that submits its form when changed.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});

// Parse a text/event-stream body (per the SSE format: LF or CRLF line ends,
// "field:value" with an optional space): calls onEvent(name, data) per event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const dispatch = (block) => {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const field = line.slice(0, colon);
      let value = line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) onEvent(name, JSON.parse(data.join("\n")));
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      dispatch(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
    }
  }
  if (buffer.trim()) dispatch(buffer);
}

function setupChat() {
  const form = document.getElementById("ask-form");
  if (!form || !window.fetch || !window.TextDecoder) return;
  const messages = document.getElementById("messages");
  const status = document.getElementById("ask-status");
  const button = document.getElementById("ask-button");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const question = (data.get("question") || "").trim();
    if (!question) return;
    const mine = el("div", "msg user");
    mine.append(el("span", "who-label", "You"), el("p", "", question));
    const reply = el("div", "msg assistant");
    const answer = el("div", "answer");
    const live = el("p", "streaming");
    answer.append(live);
    reply.append(el("span", "who-label", "Appliance"), answer);
    messages.append(mine, reply);
    button.disabled = true;
    status.textContent = "Searching your documents…";
    form.querySelector("textarea").value = "";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { "Accept": "text/event-stream", "X-CSRF-Token": csrfOf(form) },
        credentials: "same-origin",
      });
      if (response.status === 401) { window.location = "/signin"; return; }
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw new Error(body.error || ("the server answered " + response.status));
      }
      let finished = false;
      await readEvents(response, (name, payload) => {
        if (name !== "delta" && name !== "extract") finished = true;
        if (name === "extract") {
          // The sentences quoted from the sources, shown while the model writes.
          const box = el("div", "extract");
          box.append(el("h3", "", "From the documents"));
          const list = el("ul");
          for (const q of payload.quotes || []) {
            const item = el("li");
            item.append(el("q", "", q.text), " ", el("small", "", "[" + q.n + "]"));
            list.append(item);
          }
          box.append(list);
          answer.before(box);
          status.textContent = "Writing an answer from these sources…";
        } else if (name === "delta") {
          status.textContent = "Answering…";
          live.textContent += payload.text;
        } else if (name === "done") {
          // The finished answer, verified and escaped by the server, replaces the
          // streamed text and the early quotes.
          const body = el("div");
          body.innerHTML = payload.html;
          reply.replaceChildren(el("span", "who-label", "Appliance"), ...body.childNodes);
          const conv = form.querySelector('input[name="conversation_id"]');
          if (conv && !conv.value) {
            conv.value = payload.conversation_id;
            window.history.replaceState(null, "", "/chat/" + payload.conversation_id);
          }
          status.textContent = "Done.";
        } else if (name === "blocked") {
          answer.replaceChildren(el("p", "pii-note", payload.message));
          status.textContent = "Blocked by the privacy policy.";
        } else if (name === "failure") {
          answer.replaceChildren(el("p", "error", payload.message));
          status.textContent = "";
        }
      });
      if (!finished) {
        answer.append(el("p", "error", "The answer stopped before it was complete; ask again."));
        status.textContent = "";
      }
    } catch (err) {
      answer.replaceChildren(el("p", "error", "The question could not be answered: " + err.message));
      status.textContent = "";
    } finally {
      button.disabled = false;
    }
  });
}

function setupUpload() {
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest) return;
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const results = document.getElementById("upload-results");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRF-Token", csrfOf(form));
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "Uploading…";
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        if (bar.value >= 100) status.textContent = "Uploaded; finding personal data and indexing…";
      }
    });
    request.addEventListener("load", () => {
      bar.hidden = true;
      let body = {};
      try { body = JSON.parse(request.responseText); } catch (e) { body = { error: request.responseText }; }
      if (request.status !== 200) {
        status.textContent = "";
        results.replaceChildren(el("p", "error", body.error || ("Upload failed (" + request.status + ")")));
        return;
      }
      const list = el("ul", "results");
      for (const r of body.results) {
        const text = r.ok
          ? r.file + ": " + r.status + " (" + r.chunks + " passages" + (r.pages ? ", " + r.pages + " pages" : "") + ")" + (r.note ? " — " + r.note : "")
          : r.file + ": failed — " + r.error;
        list.append(el("li", r.ok ? "ok" : "failed", text));
      }
      results.replaceChildren(el("h2", "", "Upload results"), list);
      status.textContent = "Done.";
      form.reset();
      // Refresh the document list in place.
      fetch(window.location.href, { credentials: "same-origin" })
        .then((r) => r.text())
        .then((html) => {
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("document-list");
          const current = document.getElementById("document-list");
          if (fresh && current) current.replaceWith(fresh);
        });
    });
    request.addEventListener("error", () => {
      bar.hidden = true;
      status.textContent = "";
      results.replaceChildren(el("p", "error", "The upload failed: the connection was interrupted."));
    });
    request.send(new FormData(form));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupChat();
  setupUpload();
});
