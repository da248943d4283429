/* Optional C accelerator of course_lib.tokenization.train: the BPE merge loop.
 *
 * train_merges(words, counts, num_merges) does exactly what the pure-Python
 * train_bpe_from_counts does (train.py is the reference and the readable version; the tests check
 * that both give the same merges):
 *
 * - ids 0-255 are the single bytes; merge k creates id 256 + k;
 * - words of length <= 1 or with a count <= 0 are ignored;
 * - each step merges the pair with the highest total count; ties go to the pair whose tuple of
 *   byte strings (vocab[a], vocab[b]) is lexicographically greater (a prefix sorts before its
 *   extensions), and then to the smaller ids (a, b);
 * - inside a word, merging is left to right and non-overlapping ("a a a" -> "aa a");
 * - training stops early when no pair is left.
 *
 * Data structures (every word at once, one array of positions):
 * - the symbols of all words side by side, with doubly linked next/previous positions inside each
 *   word (a merged-away symbol is unlinked and marked -1), so that a merge costs time for its
 *   occurrences only, never for the length of the word that holds them;
 * - an open-addressing hash map from a pair (a, b) to its entry: the total count, and the list of
 *   positions where the pair may start (stale and repeated positions are allowed and checked when
 *   the pair is merged);
 * - a binary max-heap of (count, a, b) with lazy deletion: an entry is stale when the pair's count
 *   changed after it was pushed; each merge pushes a fresh entry for every pair whose count changed.
 *
 * Portable C99 and the plain CPython C API. The merge loop runs without the GIL.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t *items;
    size_t len, cap;
} PosList;

typedef struct {
    int32_t a, b;
    int64_t count;
    int64_t delta; /* net change during the current merge */
    int64_t stamp; /* the merge in which delta was last reset; -1 before any */
    PosList where;
} Pair;

typedef struct {
    int64_t count;
    int32_t a, b, pair;
} HeapEntry;

typedef struct {
    /* Symbols of every word side by side: symbol (or -1 once merged away), next and previous
     * position in the same word (-1 at the ends), and the word each position belongs to. */
    int32_t *sym, *nxt, *prv, *wid;
    int64_t *wcount;
    size_t npos, nwords;
    /* Token bytes: token t is tok_bytes[tok_off[t] : tok_off[t] + tok_len[t]]. */
    unsigned char *tok_bytes;
    size_t bytes_len, bytes_cap;
    size_t *tok_off, *tok_len;
    size_t ntok, tok_cap;
    /* Pairs and the hash map (slot -> pair index, or -1), nslots a power of two. */
    Pair *pairs;
    size_t npairs, pairs_cap;
    int32_t *slots;
    size_t nslots;
    /* Max-heap. */
    HeapEntry *heap;
    size_t heap_len, heap_cap;
    /* Pairs whose count changed in the current merge. */
    int32_t *touched;
    size_t touched_len, touched_cap;
    /* Result: 2 ids per merge. */
    int32_t *merges;
    size_t nmerges, merges_cap;
} State;

/* Grow *ptr (capacity *cap elements of size elem) to hold at least need elements. 0 or -1. */
static int
grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    size_t new_cap;
    void *p;
    if (need <= *cap)
        return 0;
    new_cap = *cap ? *cap : 16;
    while (new_cap < need) {
        if (new_cap > ((size_t)-1) / 2 / elem)
            return -1;
        new_cap *= 2;
    }
    p = realloc(*ptr, new_cap * elem);
    if (p == NULL)
        return -1;
    *ptr = p;
    *cap = new_cap;
    return 0;
}

static void
state_free(State *s)
{
    size_t i;
    free(s->sym);
    free(s->nxt);
    free(s->prv);
    free(s->wid);
    free(s->wcount);
    free(s->tok_bytes);
    free(s->tok_off);
    free(s->tok_len);
    if (s->pairs != NULL) {
        for (i = 0; i < s->npairs; i++)
            free(s->pairs[i].where.items);
    }
    free(s->pairs);
    free(s->slots);
    free(s->heap);
    free(s->touched);
    free(s->merges);
    memset(s, 0, sizeof(*s));
}

/* ---- tokens ------------------------------------------------------------------------------- */

static int
token_compare(const State *s, int32_t x, int32_t y)
{
    size_t lx, ly;
    int r;
    if (x == y)
        return 0;
    lx = s->tok_len[x];
    ly = s->tok_len[y];
    r = memcmp(s->tok_bytes + s->tok_off[x], s->tok_bytes + s->tok_off[y], lx < ly ? lx : ly);
    if (r != 0)
        return r;
    return (lx > ly) - (lx < ly);
}

/* Append the token a + b; 0 or -1 (memory). */
static int
token_append(State *s, int32_t a, int32_t b)
{
    size_t la = s->tok_len[a], lb = s->tok_len[b], off = s->bytes_len;
    if (la + lb < la || off + la + lb < off)
        return -1;
    if (grow((void **)&s->tok_bytes, &s->bytes_cap, off + la + lb, 1) < 0)
        return -1;
    if (s->ntok == s->tok_cap) {
        size_t cap = s->tok_cap;
        if (grow((void **)&s->tok_off, &cap, s->ntok + 1, sizeof(size_t)) < 0)
            return -1;
        cap = s->tok_cap;
        if (grow((void **)&s->tok_len, &cap, s->ntok + 1, sizeof(size_t)) < 0)
            return -1;
        s->tok_cap = cap;
    }
    memcpy(s->tok_bytes + off, s->tok_bytes + s->tok_off[a], la);
    memcpy(s->tok_bytes + off + la, s->tok_bytes + s->tok_off[b], lb);
    s->tok_off[s->ntok] = off;
    s->tok_len[s->ntok] = la + lb;
    s->ntok++;
    s->bytes_len = off + la + lb;
    return 0;
}

/* ---- the pair map ------------------------------------------------------------------------- */

static size_t
pair_hash(int32_t a, int32_t b)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return (size_t)key;
}

static int
rehash(State *s, size_t nslots)
{
    size_t i, mask = nslots - 1;
    int32_t *slots = (int32_t *)malloc(nslots * sizeof(int32_t));
    if (slots == NULL)
        return -1;
    for (i = 0; i < nslots; i++)
        slots[i] = -1;
    for (i = 0; i < s->npairs; i++) {
        size_t h = pair_hash(s->pairs[i].a, s->pairs[i].b) & mask;
        while (slots[h] >= 0)
            h = (h + 1) & mask;
        slots[h] = (int32_t)i;
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    return 0;
}

/* The index of pair (a, b), created with count 0 if new; -1 on a memory error. */
static int32_t
pair_get(State *s, int32_t a, int32_t b)
{
    size_t mask = s->nslots - 1, h = pair_hash(a, b) & mask;
    Pair *p;
    for (;;) {
        int32_t i = s->slots[h];
        if (i < 0)
            break;
        if (s->pairs[i].a == a && s->pairs[i].b == b)
            return i;
        h = (h + 1) & mask;
    }
    if (s->npairs >= INT32_MAX)
        return -1;
    if (grow((void **)&s->pairs, &s->pairs_cap, s->npairs + 1, sizeof(Pair)) < 0)
        return -1;
    if (2 * (s->npairs + 1) > s->nslots) {
        if (s->nslots > ((size_t)-1) / 2 / sizeof(int32_t) || rehash(s, 2 * s->nslots) < 0)
            return -1;
        mask = s->nslots - 1;
        h = pair_hash(a, b) & mask;
        while (s->slots[h] >= 0)
            h = (h + 1) & mask;
    }
    p = &s->pairs[s->npairs];
    p->a = a;
    p->b = b;
    p->count = 0;
    p->delta = 0;
    p->stamp = -1;
    p->where.items = NULL;
    p->where.len = p->where.cap = 0;
    s->slots[h] = (int32_t)s->npairs;
    return (int32_t)s->npairs++;
}

static int
pair_add_position(State *s, int32_t pair, int32_t pos)
{
    PosList *w = &s->pairs[pair].where;
    if (grow((void **)&w->items, &w->cap, w->len + 1, sizeof(int32_t)) < 0)
        return -1;
    w->items[w->len++] = pos;
    return 0;
}

/* Add d to the pair's change in merge m, remembering the pair as touched; 0 or -1. */
static int
pair_change(State *s, int32_t pair, int64_t d, int64_t m)
{
    Pair *p = &s->pairs[pair];
    if (p->stamp != m) {
        if (grow((void **)&s->touched, &s->touched_cap, s->touched_len + 1, sizeof(int32_t)) < 0)
            return -1;
        s->touched[s->touched_len++] = pair;
        p->stamp = m;
        p->delta = 0;
    }
    p->delta += d;
    return 0;
}

/* ---- the heap ----------------------------------------------------------------------------- */

/* Whether x should be merged before y. */
static int
heap_before(const State *s, const HeapEntry *x, const HeapEntry *y)
{
    int c;
    if (x->count != y->count)
        return x->count > y->count;
    c = token_compare(s, x->a, y->a);
    if (c != 0)
        return c > 0;
    c = token_compare(s, x->b, y->b);
    if (c != 0)
        return c > 0;
    if (x->a != y->a)
        return x->a < y->a;
    return x->b < y->b;
}

static void
heap_sift_down(State *s, size_t i)
{
    HeapEntry *h = s->heap;
    size_t n = s->heap_len;
    HeapEntry item = h[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap_before(s, &h[child + 1], &h[child]))
            child++;
        if (!heap_before(s, &h[child], &item))
            break;
        h[i] = h[child];
        i = child;
    }
    h[i] = item;
}

static int
heap_push(State *s, int64_t count, int32_t pair)
{
    HeapEntry item;
    size_t i;
    if (grow((void **)&s->heap, &s->heap_cap, s->heap_len + 1, sizeof(HeapEntry)) < 0)
        return -1;
    item.count = count;
    item.a = s->pairs[pair].a;
    item.b = s->pairs[pair].b;
    item.pair = pair;
    i = s->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_before(s, &item, &s->heap[parent]))
            break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = item;
    return 0;
}

static HeapEntry
heap_pop(State *s)
{
    HeapEntry top = s->heap[0];
    s->heap_len--;
    if (s->heap_len > 0) {
        s->heap[0] = s->heap[s->heap_len];
        heap_sift_down(s, 0);
    }
    return top;
}

/* ---- training ----------------------------------------------------------------------------- */

static int
compare_int32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* Count every adjacent pair of every word and fill the heap; 0 or -1 (memory). */
static int
count_pairs(State *s)
{
    size_t i, n;
    for (i = 0; i + 1 < s->npos; i++) {
        int32_t pair;
        if (s->nxt[i] < 0)
            continue; /* the last symbol of a word */
        pair = pair_get(s, s->sym[i], s->sym[i + 1]);
        if (pair < 0 || pair_add_position(s, pair, (int32_t)i) < 0)
            return -1;
        s->pairs[pair].count += s->wcount[s->wid[i]];
    }
    n = s->npairs;
    if (grow((void **)&s->heap, &s->heap_cap, n, sizeof(HeapEntry)) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        s->heap[i].count = s->pairs[i].count;
        s->heap[i].a = s->pairs[i].a;
        s->heap[i].b = s->pairs[i].b;
        s->heap[i].pair = (int32_t)i;
    }
    s->heap_len = n;
    for (i = n / 2; i > 0; i--)
        heap_sift_down(s, i - 1);
    return 0;
}

/* The pair (x, y) becomes (new_x, new_y) at position pos of a word counted c times; 0 or -1. */
static int
replace_pair(State *s, int32_t x, int32_t y, int32_t new_x, int32_t new_y, int32_t pos, int64_t c, int64_t m)
{
    int32_t pair = pair_get(s, x, y);
    if (pair < 0 || pair_change(s, pair, -c, m) < 0)
        return -1;
    pair = pair_get(s, new_x, new_y);
    if (pair < 0 || pair_change(s, pair, c, m) < 0 || pair_add_position(s, pair, pos) < 0)
        return -1;
    return 0;
}

/* Merge every occurrence of pair ab (ids a, b) into new_id, as merge number m; 0 or -1. */
static int
merge_pair(State *s, int32_t ab, int32_t new_id, int64_t m)
{
    int32_t a = s->pairs[ab].a, b = s->pairs[ab].b;
    PosList where = s->pairs[ab].where;
    size_t i;
    int status = 0;

    s->pairs[ab].where.items = NULL;
    s->pairs[ab].where.len = s->pairs[ab].where.cap = 0;
    /* Left to right inside each word: for (a, a), "a a a" merges its first two symbols. */
    for (i = 1; i < where.len; i++) {
        if (where.items[i - 1] > where.items[i]) {
            qsort(where.items, where.len, sizeof(int32_t), compare_int32);
            break;
        }
    }
    s->touched_len = 0;
    for (i = 0; i < where.len; i++) {
        int32_t at = where.items[i], j, p, k;
        int64_t c;
        if (s->sym[at] != a)
            continue;
        j = s->nxt[at];
        if (j < 0 || s->sym[j] != b)
            continue; /* stale, or merged away by the occurrence just before */
        c = s->wcount[s->wid[at]];
        p = s->prv[at];
        k = s->nxt[j];
        if (pair_change(s, ab, -c, m) < 0
            || (p >= 0 && replace_pair(s, s->sym[p], a, s->sym[p], new_id, p, c, m) < 0)
            || (k >= 0 && replace_pair(s, b, s->sym[k], new_id, s->sym[k], at, c, m) < 0)) {
            status = -1;
            break;
        }
        if (k >= 0)
            s->prv[k] = at;
        s->sym[at] = new_id;
        s->sym[j] = -1;
        s->nxt[at] = k;
    }
    free(where.items);
    if (status < 0)
        return -1;
    for (i = 0; i < s->touched_len; i++) {
        int32_t pair = s->touched[i];
        Pair *p = &s->pairs[pair];
        if (p->delta == 0)
            continue;
        p->count += p->delta;
        if (p->count > 0) {
            if (heap_push(s, p->count, pair) < 0)
                return -1;
        }
        else {
            free(p->where.items);
            p->where.items = NULL;
            p->where.len = p->where.cap = 0;
        }
    }
    return 0;
}

/* The merge loop; 0 or -1 (memory). Touches no Python object. */
static int
train(State *s, Py_ssize_t num_merges)
{
    int64_t m;
    if (rehash(s, 1024) < 0 || count_pairs(s) < 0)
        return -1;
    for (m = 0; m < (int64_t)num_merges; m++) {
        HeapEntry top = {0, 0, 0, 0};
        int found = 0;
        int32_t new_id = (int32_t)s->ntok;
        while (s->heap_len > 0) {
            top = heap_pop(s);
            if (s->pairs[top.pair].count == top.count) {
                found = 1;
                break;
            }
        }
        if (!found)
            break;
        if (token_append(s, top.a, top.b) < 0)
            return -1;
        if (grow((void **)&s->merges, &s->merges_cap, 2 * (s->nmerges + 1), sizeof(int32_t)) < 0)
            return -1;
        s->merges[2 * s->nmerges] = top.a;
        s->merges[2 * s->nmerges + 1] = top.b;
        s->nmerges++;
        if (merge_pair(s, top.pair, new_id, m) < 0)
            return -1;
    }
    return 0;
}

/* ---- the Python function ------------------------------------------------------------------ */

/* Copy the words that take part (length > 1, count > 0) into s; 0, or -1 with an exception set. */
static int
load_words(State *s, PyObject *words, PyObject *counts)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(words), i;
    PyObject **word_items = PySequence_Fast_ITEMS(words);
    PyObject **count_items = PySequence_Fast_ITEMS(counts);
    int64_t *word_count;
    int64_t total = 0;
    size_t npos = 0, nwords = 0, pos = 0, t;

    word_count = (int64_t *)malloc((n > 0 ? (size_t)n : 1) * sizeof(int64_t));
    if (word_count == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    /* First pass: check the types, read the counts, size the arrays. */
    for (i = 0; i < n; i++) {
        PyObject *word = word_items[i], *count = count_items[i];
        Py_ssize_t len;
        long long c;
        int overflow;
        if (!PyBytes_Check(word)) {
            PyErr_Format(PyExc_TypeError, "words[%zd] must be bytes, got %.200s", i, Py_TYPE(word)->tp_name);
            goto error;
        }
        if (!PyIndex_Check(count)) {
            PyErr_Format(PyExc_TypeError, "counts[%zd] must be an int, got %.200s", i, Py_TYPE(count)->tp_name);
            goto error;
        }
        if (PyLong_Check(count)) {
            c = PyLong_AsLongLongAndOverflow(count, &overflow);
        }
        else { /* an integer of another type (numpy's, ...) */
            PyObject *index = PyNumber_Index(count);
            if (index == NULL)
                goto error;
            c = PyLong_AsLongLongAndOverflow(index, &overflow);
            Py_DECREF(index);
        }
        if (c == -1 && PyErr_Occurred())
            goto error;
        if (overflow > 0) {
            PyErr_Format(PyExc_OverflowError,
                         "counts[%zd] = %R does not fit in a signed 64-bit integer (the C accelerator's counts)", i,
                         count);
            goto error;
        }
        len = PyBytes_GET_SIZE(word);
        word_count[i] = (overflow < 0 || len <= 1) ? 0 : (int64_t)c;
        if (word_count[i] <= 0)
            continue;
        /* Every pair count is at most the sum over the words of count * (length - 1). */
        if ((int64_t)c > (INT64_MAX - total) / (int64_t)(len - 1)) {
            PyErr_SetString(PyExc_OverflowError,
                            "the pair counts (count x (length - 1), summed over the words) exceed a signed 64-bit "
                            "integer, the C accelerator's counts; use backend=\"python\"");
            goto error;
        }
        total += (int64_t)c * (int64_t)(len - 1);
        if ((size_t)len > (size_t)INT32_MAX - 1 - npos) {
            PyErr_SetString(PyExc_OverflowError,
                            "the words hold more than 2**31 - 2 bytes in all, more than the C accelerator indexes; "
                            "use backend=\"python\"");
            goto error;
        }
        npos += (size_t)len;
        nwords++;
    }
    s->npos = npos;
    s->nwords = nwords;
    t = npos > 0 ? npos : 1;
    s->sym = (int32_t *)malloc(t * sizeof(int32_t));
    s->nxt = (int32_t *)malloc(t * sizeof(int32_t));
    s->prv = (int32_t *)malloc(t * sizeof(int32_t));
    s->wid = (int32_t *)malloc(t * sizeof(int32_t));
    s->wcount = (int64_t *)malloc((nwords > 0 ? nwords : 1) * sizeof(int64_t));
    if (s->sym == NULL || s->nxt == NULL || s->prv == NULL || s->wid == NULL || s->wcount == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    /* Second pass: lay the words side by side. */
    nwords = 0;
    for (i = 0; i < n; i++) {
        const unsigned char *bytes;
        size_t len, k;
        if (word_count[i] <= 0)
            continue;
        bytes = (const unsigned char *)PyBytes_AS_STRING(word_items[i]);
        len = (size_t)PyBytes_GET_SIZE(word_items[i]);
        for (k = 0; k < len; k++) {
            s->sym[pos + k] = bytes[k];
            s->nxt[pos + k] = k + 1 < len ? (int32_t)(pos + k + 1) : -1;
            s->prv[pos + k] = k > 0 ? (int32_t)(pos + k - 1) : -1;
            s->wid[pos + k] = (int32_t)nwords;
        }
        s->wcount[nwords++] = word_count[i];
        pos += len;
    }
    free(word_count);
    return 0;
error:
    free(word_count);
    return -1;
}

static int
init_tokens(State *s)
{
    size_t i;
    if (grow((void **)&s->tok_bytes, &s->bytes_cap, 256, 1) < 0)
        return -1;
    s->tok_cap = 512;
    s->tok_off = (size_t *)malloc(s->tok_cap * sizeof(size_t));
    s->tok_len = (size_t *)malloc(s->tok_cap * sizeof(size_t));
    if (s->tok_off == NULL || s->tok_len == NULL)
        return -1;
    for (i = 0; i < 256; i++) {
        s->tok_bytes[i] = (unsigned char)i;
        s->tok_off[i] = i;
        s->tok_len[i] = 1;
    }
    s->bytes_len = 256;
    s->ntok = 256;
    return 0;
}

PyDoc_STRVAR(train_merges_doc,
             "train_merges(words, counts, num_merges, /)\n--\n\n"
             "Learn up to num_merges BPE merges from distinct pre-tokens (bytes) and their counts (ints).\n\n"
             "Returns the merged id pairs in order: merge k creates id 256 + k (ids 0-255 are the bytes).\n"
             "The same merges as course_lib.tokenization.train_bpe_from_counts's pure-Python code.");

static PyObject *
train_merges(PyObject *module, PyObject *args)
{
    PyObject *words_arg, *counts_arg, *words = NULL, *counts = NULL, *result = NULL;
    Py_ssize_t num_merges, i;
    State s;
    int status;

    (void)module;
    memset(&s, 0, sizeof(s));
    if (!PyArg_ParseTuple(args, "OOn:train_merges", &words_arg, &counts_arg, &num_merges))
        return NULL;
    if (num_merges < 0) {
        PyErr_Format(PyExc_ValueError, "num_merges must be >= 0, got %zd", num_merges);
        return NULL;
    }
    words = PySequence_Fast(words_arg, "words must be a sequence of bytes");
    if (words == NULL)
        goto done;
    counts = PySequence_Fast(counts_arg, "counts must be a sequence of ints");
    if (counts == NULL)
        goto done;
    if (PySequence_Fast_GET_SIZE(words) != PySequence_Fast_GET_SIZE(counts)) {
        PyErr_Format(PyExc_ValueError, "words and counts must have the same length, got %zd and %zd",
                     PySequence_Fast_GET_SIZE(words), PySequence_Fast_GET_SIZE(counts));
        goto done;
    }
    if (load_words(&s, words, counts) < 0)
        goto done;
    if (init_tokens(&s) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    status = train(&s, num_merges);
    Py_END_ALLOW_THREADS
    if (status < 0) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyList_New((Py_ssize_t)s.nmerges);
    if (result == NULL)
        goto done;
    for (i = 0; i < (Py_ssize_t)s.nmerges; i++) {
        PyObject *pair = Py_BuildValue("(ii)", (int)s.merges[2 * i], (int)s.merges[2 * i + 1]);
        if (pair == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, pair);
    }
done:
    state_free(&s);
    Py_XDECREF(words);
    Py_XDECREF(counts);
    return result;
}

static PyMethodDef fast_train_methods[] = {
    {"train_merges", train_merges, METH_VARARGS, train_merges_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fast_train_module = {
    PyModuleDef_HEAD_INIT,
    "course_lib.tokenization._fast_train",
    "Optional C accelerator of course_lib.tokenization.train (the BPE merge loop); the pure-Python "
    "code in train.py is the reference and gives the same merges.",
    -1,
    fast_train_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__fast_train(void)
{
    return PyModule_Create(&fast_train_module);
}
