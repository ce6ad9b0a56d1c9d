import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The server sends a strict CSP (script-src 'self'): no inline scripts, no
// eval, nothing loaded from outside the origin.
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    // Element Plus is one vendor chunk of ~1 MB minified; routes are split.
    chunkSizeWarningLimit: 1600,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:18080',
      '/healthz': 'http://127.0.0.1:18080',
    },
  },
})
