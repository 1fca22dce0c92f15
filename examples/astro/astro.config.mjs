// @ts-check
import { defineConfig } from "astro/config";

// A static site (Astro's default output). The build's destination can be changed with
// `npm run build -- --outDir <dir>` (examples/build-examples.sh does that).
export default defineConfig({
  devToolbar: { enabled: false },
});
