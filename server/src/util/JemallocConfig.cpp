// jemalloc's options, compiled into each executable that links parley_allocator when built with
// -DPARLEY_JEMALLOC=ON (docs/ARCHITECTURE.md, "Memory"). jemalloc reads them when it starts: it
// gives unused pages back to the kernel from a background thread of its own, not inside a
// request's malloc or free. The MALLOC_CONF environment variable still adds to them.
extern "C" const char* malloc_conf;
const char* malloc_conf = "background_thread:true";
