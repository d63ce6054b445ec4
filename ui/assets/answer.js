// An answer's text with its citation markers, built from segments as DOM text nodes (never
// HTML). A marker is a button in its colour: hovering or focusing it shows its quote,
// clicking it asks the page to open the article ("open" trigger, the marker's number).
export default function ({ data, setTriggerValue, parentElement }) {
  let root = parentElement.querySelector(".answer");
  if (!root) {
    root = document.createElement("div");
    root.className = "answer";
    parentElement.append(root);
  }
  const signature = JSON.stringify(data);
  if (root.signature === signature) return;
  root.signature = signature;
  root.replaceChildren();
  const text = document.createElement("p");
  const tip = document.createElement("div");
  tip.className = "tip";
  tip.setAttribute("role", "tooltip");
  tip.id = `tip-${Math.random().toString(36).slice(2)}`;
  const show = (button, segment) => {
    tip.textContent = `“${segment.quote}” — ${segment.title}`;
    tip.className = `tip shown c-${segment.colour}`;
    button.setAttribute("aria-describedby", tip.id);
    const width = root.clientWidth;
    const left = Math.max(0, Math.min(button.offsetLeft - 16, width - tip.offsetWidth));
    tip.style.left = `${left}px`;
    tip.style.top = `${button.offsetTop + button.offsetHeight + 6}px`;
  };
  const hide = () => {
    tip.className = "tip";
  };
  for (const segment of data.segments) {
    if (segment.n === undefined) {
      const span = document.createElement("span");
      span.textContent = segment.t;
      if (segment.gap) span.className = "gap";
      text.append(span);
      continue;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = `marker c-${segment.colour}`;
    button.dataset.n = String(segment.n);
    button.textContent = String(segment.n);
    button.setAttribute("aria-label", `Source ${segment.n}: open ${segment.title}`);
    button.addEventListener("pointerenter", () => show(button, segment));
    button.addEventListener("focus", () => show(button, segment));
    button.addEventListener("pointerleave", hide);
    button.addEventListener("blur", hide);
    button.addEventListener("click", () => setTriggerValue("open", segment.n));
    text.append(button);
  }
  root.append(text, tip);
}
