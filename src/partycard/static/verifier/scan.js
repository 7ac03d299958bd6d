// Camera scanning: the BarcodeDetector API where the browser has it (Chrome on Android), else the
// vendored jsQR (static/verifier/vendor/jsQR.js, loaded on first use) on frames of getUserMedia video.

let jsqrLoading = null;

function loadJsqr(url) {
  if (self.jsQR) return Promise.resolve(self.jsQR);
  if (!jsqrLoading) {
    jsqrLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url; // same origin: allowed by the Content-Security-Policy's script-src 'self'
      script.onload = () => (self.jsQR ? resolve(self.jsQR) : reject(new Error("jsQR did not load")));
      script.onerror = () => reject(new Error("jsQR did not load"));
      document.head.appendChild(script);
    });
  }
  return jsqrLoading;
}

async function barcodeDetector() {
  if (!("BarcodeDetector" in self)) return null;
  try {
    const formats = await self.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new self.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch (e) {
    return null;
  }
}

/** Start the back camera in ``video`` and call ``onText`` with the first QR text read; returns a
 *  function that stops the camera. */
export async function scanStart(video, onText, { jsqrUrl }) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  video.srcObject = stream;
  await video.play();
  const detector = await barcodeDetector();
  const jsQR = detector ? null : await loadJsqr(jsqrUrl);
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let running = true;
  const stop = () => {
    running = false;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const tick = async () => {
    if (!running) return;
    try {
      let text = null;
      if (video.readyState >= 2) {
        if (detector) {
          const codes = await detector.detect(video);
          if (codes.length) text = codes[0].rawValue;
        } else {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          const image = context.getImageData(0, 0, canvas.width, canvas.height);
          const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
          if (code && code.data) text = code.data;
        }
      }
      if (text) {
        stop();
        onText(text);
        return;
      }
    } catch (e) {
      // a frame that cannot be read: try the next one
    }
    setTimeout(tick, 150);
  };
  tick();
  return stop;
}
