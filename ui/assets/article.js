// The cited article in the reading pane, built from segments as DOM text nodes (never HTML):
// every span the answer cites in it is highlighted in its marker's colour, the one that was
// clicked is outlined and scrolled into view; the chips above jump between the spans.
export default function ({ data, parentElement }) {
  let root = parentElement.querySelector(".article");
  if (!root) {
    root = document.createElement("div");
    root.className = "article";
    parentElement.append(root);
  }
  const signature = JSON.stringify(data);
  if (root.signature === signature) return;
  root.signature = signature;
  root.replaceChildren();
  const marks = new Map();
  const body = document.createElement("div");
  body.className = "body";
  for (const segment of data.segments) {
    if (segment.n === undefined) {
      body.append(document.createTextNode(segment.t));
      continue;
    }
    const mark = document.createElement("mark");
    mark.className = `c-${segment.colour}${segment.focus ? " focus" : ""}`;
    mark.dataset.n = String(segment.n);
    mark.textContent = segment.t;
    if (!marks.has(segment.n)) marks.set(segment.n, mark);
    body.append(mark);
  }
  const focusOn = (n) => {
    for (const mark of body.querySelectorAll("mark")) {
      mark.classList.toggle("focus", mark.dataset.n === String(n));
    }
    marks.get(n)?.scrollIntoView({ block: "center" });
  };
  if (marks.size > 1) {
    const chips = document.createElement("div");
    chips.className = "chips";
    chips.append(document.createTextNode("Cited here: "));
    for (const [n, mark] of marks) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = `chip ${mark.className.replace(" focus", "")}`;
      chip.textContent = String(n);
      chip.setAttribute("aria-label", `Show the passage of source ${n}`);
      chip.addEventListener("click", () => focusOn(n));
      chips.append(chip);
    }
    root.append(chips);
  }
  root.append(body);
  requestAnimationFrame(() => focusOn(data.focus));
}
