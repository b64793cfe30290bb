import crypto from "node:crypto";
import { hash } from "@chainsafe/hashtree";

const N = 64 << 20;
const buf = crypto.randomBytes(N);
function t(name, f) {
  f();
  const s = performance.now();
  f();
  const ms = performance.now() - s;
  console.log(name, (N / 1e6 / (ms / 1000)).toFixed(0), "MB/s");
}
t("hashtree level0", () => hash(buf));
t("hashtree full tree", () => {
  let b = buf;
  while (b.length > 32) b = hash(b);
});
for (const cs of [1024, 4096, 16384]) {
  t("crypto.hash " + cs, () => {
    for (let o = 0; o < N; o += cs) crypto.hash("sha256", buf.subarray(o, o + cs), "buffer");
  });
  t("createHash " + cs, () => {
    for (let o = 0; o < N; o += cs)
      crypto
        .createHash("sha256")
        .update(buf.subarray(o, o + cs))
        .digest();
  });
}
