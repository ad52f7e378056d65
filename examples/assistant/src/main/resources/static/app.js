// The chat page: one conversation per browser (its id in localStorage), replies streamed from the SSE API.
"use strict";
const KEY = "attention-sinks-assistant.conversation";
const log = document.getElementById("log");
const form = document.getElementById("form");
const input = document.getElementById("text");
const sendButton = document.getElementById("send");
const status = document.getElementById("status");
let turns = 0;
let current = null; // the conversation id, once loaded or created

function add(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  div.textContent = text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

async function errorText(response) {
  try { return (await response.json()).error || response.statusText; } catch (e) { return response.statusText; }
}

async function newConversation() {
  const response = await fetch("/api/conversations", { method: "POST" });
  if (response.status !== 201) throw new Error(await errorText(response));
  const id = (await response.json()).id;
  localStorage.setItem(KEY, id);
  current = id;
  log.replaceChildren();
  turns = 0;
  status.textContent = "new conversation";
  return id;
}

async function conversation() {
  const id = localStorage.getItem(KEY);
  if (id) {
    const response = await fetch("/api/conversations/" + id + "/messages");
    if (response.ok) {
      log.replaceChildren();
      const lines = await response.json();
      lines.forEach(line => add(line.role, line.text));
      turns = lines.filter(line => line.role === "user").length;
      status.textContent = turns + " turns";
      current = id;
      return id;
    }
    if (response.status !== 404) throw new Error(await errorText(response));
  }
  return newConversation();
}

// Reads an SSE response body: calls onEvent(name, data) per event (data lines joined with "\n").
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
      onEvent(name, data.join("\n"));
    }
  }
}

async function send(text) {
  const id = current || await conversation();
  add("user", text);
  const reply = add("assistant", "");
  reply.dataset.state = "streaming";
  const response = await fetch("/api/conversations/" + id + "/messages", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text })
  });
  if (response.status === 404) {
    current = null; // deleted elsewhere: the next message starts a new conversation
  }
  if (!response.ok) {
    reply.remove();
    add("error", "Not sent: " + await errorText(response));
    return;
  }
  await readEvents(response, (name, data) => {
    if (name === "token") {
      reply.textContent += data;
      log.scrollTop = log.scrollHeight;
    } else if (name === "done") {
      const s = JSON.parse(data);
      turns = s.turns;
      reply.dataset.state = "done";
      status.textContent = s.tokensPerSecond.toFixed(1) + " tokens/s · cache " + s.cacheTokens + " / "
          + s.cacheCapacity + " tokens · " + s.turns + " turns";
    } else if (name === "error") {
      reply.dataset.state = "error";
      add("error", JSON.parse(data).message);
    }
  });
}

form.addEventListener("submit", async event => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  sendButton.disabled = true;
  try { await send(text); } catch (e) { add("error", String(e.message || e)); }
  finally { sendButton.disabled = false; input.focus(); }
});

document.getElementById("new").addEventListener("click", async () => {
  const old = localStorage.getItem(KEY);
  if (old) await fetch("/api/conversations/" + old, { method: "DELETE" });
  try { await newConversation(); } catch (e) { add("error", String(e.message || e)); }
});

conversation().catch(e => add("error", String(e.message || e)));
