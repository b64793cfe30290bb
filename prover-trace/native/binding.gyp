{
  "targets": [
    {
      "target_name": "sha256chunks",
      "sources": ["src/sha256_chunks.c", "src/addon.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-std=gnu11", "-fno-strict-aliasing"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=gnu11"] }
    }
  ]
}
