// Variant picker: the option radios work without JavaScript (the server resolves the variant from them);
// this script keeps the price, stock state, image and the hidden variant id in step with the choice.
(function () {
  "use strict";
  var form = document.querySelector("form.add-to-cart");
  var dataNode = document.getElementById("product-variants");
  if (!form || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var variants = data.variants;
  var unavailableText = form.dataset.unavailableText;

  function chosenOptions() {
    var groups = form.querySelectorAll("fieldset.option-group");
    var values = [];
    groups.forEach(function (group) {
      var checked = group.querySelector("input[type=radio]:checked");
      values.push(checked ? checked.value : null);
    });
    return values;
  }

  function findVariant(values) {
    if (values.length === 0) return variants[0];
    return variants.find(function (v) {
      return values.every(function (value, i) { return v.options[i] === value; });
    });
  }

  function setButton(button, enabled, label) {
    button.disabled = !enabled;
    button.textContent = label;
  }

  function render() {
    var variant = findVariant(chosenOptions());
    var priceNode = document.getElementById("product-price");
    var stockNode = document.getElementById("product-stock");
    var button = document.getElementById("add-to-cart");
    var idInput = form.querySelector("[data-variant-id]");
    if (!variant) {
      idInput.value = "";
      stockNode.textContent = unavailableText;
      setButton(button, false, button.dataset.labelAvailable);
      return;
    }
    idInput.value = variant.id;
    priceNode.textContent = "";
    var price = document.createElement("span");
    price.className = "price";
    var now = document.createElement("span");
    now.className = "price__now" + (variant.compare_text ? " price__now--sale" : "");
    now.textContent = variant.price_text;
    price.appendChild(now);
    if (variant.compare_text) {
      var was = document.createElement("s");
      was.className = "price__was";
      was.textContent = variant.compare_text;
      price.appendChild(document.createTextNode(" "));
      price.appendChild(was);
    }
    priceNode.appendChild(price);
    stockNode.textContent = variant.stock_text;
    setButton(button, variant.available,
      variant.available ? button.dataset.labelAvailable : button.dataset.labelSoldout);
    if (variant.image) {
      var main = document.querySelector(".product__gallery > img");
      if (main && main.getAttribute("src") !== variant.image) {
        delete main.dataset.fallbackApplied;
        main.src = variant.image;
      }
    }
    var url = new URL(window.location.href);
    url.searchParams.set("variant", variant.id);
    window.history.replaceState(null, "", url);
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches("input[type=radio]")) render();
  });
  render();
})();
