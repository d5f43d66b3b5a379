#include "CHammingKernels.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    /* xgetbv tells whether the OS saves the wide registers; cpuid alone does not. */
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static int detect_best(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return NCC_CPU_PORTABLE;
    int popcnt = (c >> 23) & 1;
    int osxsave = (c >> 27) & 1;
    int avx = (c >> 28) & 1;
    if (!popcnt) return NCC_CPU_PORTABLE;
    if (!osxsave || !avx) return NCC_CPU_POPCNT;
    uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return NCC_CPU_POPCNT;
    if (__get_cpuid_max(0, 0) < 7) return NCC_CPU_POPCNT;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1;
    int avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    int vpopcntdq = (c >> 14) & 1;
    if (avx512f && avx512bw && avx512vl && vpopcntdq && (xcr0 & 0xE6) == 0xE6) return NCC_CPU_AVX512;
    if (avx2) return NCC_CPU_AVX2;
    return NCC_CPU_POPCNT;
}
#else
static int detect_best(void) { return NCC_CPU_PORTABLE; }
#endif

static int g_best = -2;
static int g_active = -2;

int ncc_cpu_best(void) {
    int best = __atomic_load_n(&g_best, __ATOMIC_RELAXED);
    if (best == -2) {
        best = detect_best();
        __atomic_store_n(&g_best, best, __ATOMIC_RELAXED);
    }
    return best;
}

int ncc_cpu_supported(int path) { return path >= NCC_CPU_PORTABLE && path <= ncc_cpu_best(); }

const char *ncc_cpu_name(int path) {
    switch (path) {
    case NCC_CPU_AVX512: return "avx512";
    case NCC_CPU_AVX2: return "avx2";
    case NCC_CPU_POPCNT: return "popcnt";
    default: return "portable";
    }
}

int ncc_cpu_active(void) {
    int active = __atomic_load_n(&g_active, __ATOMIC_RELAXED);
    if (active != -2) return active;
    active = ncc_cpu_best();
    const char *forced = getenv("NCCMATCH_CPU");
    if (forced) {
        for (int p = NCC_CPU_PORTABLE; p <= NCC_CPU_AVX512; p++) {
            /* An unsupported request falls back to the best path rather than crashing on an illegal instruction. */
            if (strcmp(forced, ncc_cpu_name(p)) == 0 && ncc_cpu_supported(p)) active = p;
        }
    }
    __atomic_store_n(&g_active, active, __ATOMIC_RELAXED);
    return active;
}

int ncc_resolve_path(int path) {
    if (path == NCC_CPU_ACTIVE) return ncc_cpu_active();
    /* Never run instructions the CPU lacks, whatever the caller asked for. */
    if (!ncc_cpu_supported(path)) return ncc_cpu_best();
    return path;
}
