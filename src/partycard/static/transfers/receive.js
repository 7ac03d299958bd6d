// The receiving cell's confirmation page: read the member's e-card QR with the camera (the verifier's
// scanner, static/verifier/scan.js: BarcodeDetector, else the vendored jsQR), put its text in the form
// and send it; the server checks it. Without a camera, the text is pasted into the same field.
import { scanStart } from "../verifier/scan.js";

const config = JSON.parse(document.getElementById("receive-config").textContent);
const $ = (id) => document.getElementById(id);
let stop = null;

function stopCamera() {
  if (stop) stop();
  stop = null;
  $("camera").hidden = true;
  $("camera-start").hidden = false;
  $("camera-stop").hidden = true;
}

async function startCamera() {
  $("camera").hidden = false;
  $("camera-start").hidden = true;
  $("camera-stop").hidden = false;
  $("camera-error").hidden = true;
  try {
    stop = await scanStart($("video"), (text) => {
      stopCamera();
      $("id_presentation").value = text;
      $("receive-form").requestSubmit();
    }, { jsqrUrl: config.jsqrUrl });
  } catch (e) {
    stopCamera();
    $("camera-error").textContent =
      `Không mở được máy ảnh (${e.name || e.message}): hãy cho phép dùng máy ảnh, hoặc dán nội dung mã QR.`;
    $("camera-error").hidden = false;
  }
}

$("camera-start").addEventListener("click", startCamera);
$("camera-stop").addEventListener("click", stopCamera);
document.documentElement.dataset.ready = "1";
