/* The partner picker of the registry's forms: suggests partners while a name is typed (any of
   their names, folded: "lodz" finds Łódź) and keeps the chosen one's id beside the name. Without
   JavaScript the typed name is resolved when the form is saved. */
document.querySelectorAll("input[data-picker]").forEach(function (input) {
  var list = document.getElementById(input.id + "-suggestions");
  var picked = input.form.querySelector("input[name='" + input.dataset.picked + "']");
  var timer = null, asked = 0;
  function choose(item) {
    input.value = item.name;
    picked.value = item.id;
    list.hidden = true;
    list.innerHTML = "";
  }
  function show(items) {
    list.innerHTML = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = item.label;
      button.addEventListener("click", function () { choose(item); });
      li.setAttribute("role", "option");
      li.appendChild(button);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
  }
  input.addEventListener("input", function () {
    picked.value = "";
    clearTimeout(timer);
    var text = input.value.trim();
    if (text.length < 2) { show([]); return; }
    timer = setTimeout(function () {
      var mine = ++asked;
      fetch(input.dataset.picker + "?q=" + encodeURIComponent(text), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (items) { if (mine === asked) { show(items); } })
        .catch(function () { show([]); });
    }, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { show([]); }
  });
});
