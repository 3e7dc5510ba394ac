// The console works without this file; it only improves it: a photo is shown before it is sent,
// and a case's delivery status refreshes itself while deliveries are in flight.
"use strict";

document.addEventListener("change", function (event) {
  var input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.preview) {
    return;
  }
  var img = document.getElementById(input.dataset.preview);
  if (!img) {
    return;
  }
  var file = input.files && input.files[0];
  if (!file || !/^image\//.test(file.type)) {
    img.hidden = true;
    return;
  }
  // browsers draw a JPEG upright from its EXIF orientation, as the poster will
  img.src = URL.createObjectURL(file);
  img.alt = "The chosen photo";
  img.hidden = false;
});

(function refreshDistribution() {
  var box = document.getElementById("distribution");
  if (!box || !box.dataset.refresh) {
    return;
  }
  var url = box.dataset.refresh;
  var timer = setInterval(function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) {
        if (!res.ok) {
          throw new Error(String(res.status));
        }
        var done = res.headers.get("X-Lookout-Settled") === "true";
        return res.text().then(function (html) {
          box.innerHTML = html;
          if (done) {
            clearInterval(timer);
          }
        });
      })
      .catch(function () {
        clearInterval(timer);
      });
  }, 2000);
})();
