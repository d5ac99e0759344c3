fetch("/openapi.json").then(r => r.json()).then(doc => {
  const list = document.getElementById("endpoints");
  list.textContent = "";
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const li = document.createElement("li");
      const m = document.createElement("span");
      m.className = "method";
      m.textContent = method.toUpperCase();
      const p = document.createElement("code");
      p.textContent = path;
      li.append(m, p, " " + (op.summary || op.description || ""));
      const codes = document.createElement("div");
      codes.className = "codes";
      codes.textContent = Object.entries(op.responses || {}).map(([s, r]) => s + " " + (r.description || "")).join(" · ");
      li.append(codes);
      list.append(li);
    }
  }
}).catch(e => { document.getElementById("endpoints").textContent = "cannot read /openapi.json: " + e; });
