/* The tokenizer's encoding accelerator: GPT-2 pre-tokenization and BPE merges in C.
 *
 * The same work as the pure-Python code of tokenizer.py, pretokenize.py and merge.py, with the same
 * results (tests/test_tokenization_fast_encode.py checks them equal on every corpus and on random
 * text): the text is cut into GPT-2's pre-tokens by a hand-written scanner instead of the regex, each
 * pre-token's ids come from a cache or from applying the merges lowest rank first, and the ids are
 * concatenated.
 *
 * The scanner implements exactly
 *     '(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * given a table of each code point's class (letter, number, whitespace or other). The table is made
 * in Python by the `regex` module itself (pretokenize.gpt2_char_classes), so the two paths agree on
 * every character whatever Unicode version `regex` ships.
 *
 * Merging one pre-token of n bytes: a short one keeps the rank of each adjacent pair in an array and
 * rescans it for the minimum after each merge (n is small: a word); a long one (a line without
 * spaces) keeps its symbols in a linked list and the candidate merges in a heap, O(n log n).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define CLASS_OTHER 0
#define CLASS_LETTER 1
#define CLASS_NUMBER 2
#define CLASS_SPACE 3
#define NUM_CODE_POINTS 0x110000

#define CACHE_LIMIT 65536     /* entries before the piece cache is emptied (as tokenizer._CACHE_LIMIT) */
#define MAX_CACHED_CHARS 64   /* longer pieces are encoded but not kept (as tokenizer._MAX_CACHED_CHARS) */
#define HEAP_ABOVE 128        /* pieces of more bytes than this are merged with a heap */
#define NO_RANK INT32_MAX
#define EMPTY_KEY UINT64_MAX

/* ------------------------------------------------------------------ the pair -> rank table */

typedef struct {
    uint64_t *keys; /* (a << 32) | b, EMPTY_KEY where free */
    int32_t *ranks;
    size_t mask;    /* capacity - 1, capacity a power of two */
} RankTable;

static size_t slot_of(uint64_t key, size_t mask) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & mask;
}

static int32_t rank_of(const RankTable *table, uint32_t a, uint32_t b) {
    uint64_t key = ((uint64_t)a << 32) | b;
    size_t i = slot_of(key, table->mask);
    for (;;) {
        uint64_t k = table->keys[i];
        if (k == key) return table->ranks[i];
        if (k == EMPTY_KEY) return NO_RANK;
        i = (i + 1) & table->mask;
    }
}

/* ------------------------------------------------------------------ the Encoder type */

typedef struct {
    PyObject_HEAD
    RankTable table;
    uint32_t *merged;       /* rank -> the id that merge makes */
    Py_ssize_t num_merges;
    uint32_t byte_ids[256]; /* byte -> its id */
    PyObject *classes;      /* bytes of NUM_CODE_POINTS class codes */
    const unsigned char *cls;
    PyObject *cache;        /* dict: piece (str) -> ids (tuple of int) */
    PyObject **small_ids;   /* id -> the int object, for ids below num_ids (other ids are made when needed) */
    Py_ssize_t num_ids;
} Encoder;

/* Free the tables (all, or what a failed __init__ made of them). */
static void free_tables(Encoder *self) {
    PyMem_Free(self->table.keys);
    PyMem_Free(self->table.ranks);
    PyMem_Free(self->merged);
    self->table.keys = NULL;
    self->table.ranks = NULL;
    self->merged = NULL;
    if (self->small_ids != NULL) {
        for (Py_ssize_t i = 0; i < self->num_ids; i++) Py_XDECREF(self->small_ids[i]);
        PyMem_Free(self->small_ids);
        self->small_ids = NULL;
    }
    Py_CLEAR(self->classes);
    Py_CLEAR(self->cache);
}

static void Encoder_dealloc(Encoder *self) {
    free_tables(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* An Encoder made by Encoder.__new__ alone, or whose __init__ failed, has no tables to use. */
static int check_ready(Encoder *self) {
    if (self->cache == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the Encoder is not initialized (its __init__ failed or never ran)");
        return -1;
    }
    return 0;
}

static int read_id(PyObject *obj, const char *what, uint32_t *out) {
    if (!PyLong_Check(obj)) { /* not __index__: Python code run here could change the list or dict being read */
        PyErr_Format(PyExc_TypeError, "%s must be an int, got %s", what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    long value = PyLong_AsLong(obj);
    if (value == -1 && PyErr_Occurred()) return -1;
    if (value < 0 || value > INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "%s must be an id in [0, 2**31), got %ld", what, value);
        return -1;
    }
    *out = (uint32_t)value;
    return 0;
}

static int Encoder_init(Encoder *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"ranks", "merged", "byte_ids", "classes", NULL};
    PyObject *ranks, *merged, *byte_ids, *classes;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!O!:Encoder", kwlist, &PyDict_Type, &ranks, &PyList_Type,
                                     &merged, &PyList_Type, &byte_ids, &PyBytes_Type, &classes))
        return -1;
    if (self->cache != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Encoder.__init__ called twice");
        return -1;
    }
    free_tables(self); /* what an earlier, failed __init__ left */
    if (PyBytes_GET_SIZE(classes) != NUM_CODE_POINTS) {
        PyErr_Format(PyExc_ValueError, "classes must hold one byte per code point (%d), got %zd", NUM_CODE_POINTS,
                     PyBytes_GET_SIZE(classes));
        return -1;
    }
    if (PyList_GET_SIZE(byte_ids) != 256) {
        PyErr_Format(PyExc_ValueError, "byte_ids must list 256 ids, got %zd", PyList_GET_SIZE(byte_ids));
        return -1;
    }
    uint32_t largest = 0;
    for (int b = 0; b < 256; b++) {
        if (read_id(PyList_GET_ITEM(byte_ids, b), "byte_ids[b]", &self->byte_ids[b]) < 0) return -1;
        if (self->byte_ids[b] > largest) largest = self->byte_ids[b];
    }

    self->num_merges = PyList_GET_SIZE(merged);
    self->merged = PyMem_Malloc(sizeof(uint32_t) * (size_t)(self->num_merges > 0 ? self->num_merges : 1));
    if (self->merged == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t r = 0; r < self->num_merges; r++) {
        if (read_id(PyList_GET_ITEM(merged, r), "merged[rank]", &self->merged[r]) < 0) return -1;
        if (self->merged[r] > largest) largest = self->merged[r];
    }

    size_t capacity = 16;
    while (capacity < 2 * (size_t)PyDict_GET_SIZE(ranks) + 16) capacity <<= 1;
    self->table.mask = capacity - 1;
    self->table.keys = PyMem_Malloc(sizeof(uint64_t) * capacity);
    self->table.ranks = PyMem_Malloc(sizeof(int32_t) * capacity);
    if (self->table.keys == NULL || self->table.ranks == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(self->table.keys, 0xff, sizeof(uint64_t) * capacity);
    Py_ssize_t pos = 0;
    PyObject *pair, *rank_obj;
    while (PyDict_Next(ranks, &pos, &pair, &rank_obj)) {
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "ranks must map pairs (a, b) of ids to ranks");
            return -1;
        }
        uint32_t a, b, rank;
        if (read_id(PyTuple_GET_ITEM(pair, 0), "a pair's left id", &a) < 0 ||
            read_id(PyTuple_GET_ITEM(pair, 1), "a pair's right id", &b) < 0 || read_id(rank_obj, "a rank", &rank) < 0)
            return -1;
        if ((Py_ssize_t)rank >= self->num_merges) {
            PyErr_Format(PyExc_ValueError, "rank %u has no entry in merged (%zd merges)", rank, self->num_merges);
            return -1;
        }
        uint64_t key = ((uint64_t)a << 32) | b;
        size_t i = slot_of(key, self->table.mask);
        while (self->table.keys[i] != EMPTY_KEY && self->table.keys[i] != key) i = (i + 1) & self->table.mask;
        self->table.keys[i] = key;
        self->table.ranks[i] = (int32_t)rank;
    }

    /* One int object per id, so that a cached piece's tuple is built without allocating ints. A
       vocabulary's ids are dense, below about 256 + merges; a sparse one's far larger ids are made
       when needed instead (one object for each id below 2**31 would take gigabytes). */
    Py_ssize_t dense = 2 * (256 + self->num_merges);
    self->num_ids = (Py_ssize_t)largest < dense ? (Py_ssize_t)largest + 1 : dense;
    self->small_ids = PyMem_Calloc((size_t)self->num_ids, sizeof(PyObject *));
    if (self->small_ids == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < self->num_ids; i++) {
        self->small_ids[i] = PyLong_FromSsize_t(i);
        if (self->small_ids[i] == NULL) return -1;
    }

    Py_INCREF(classes);
    self->classes = classes;
    self->cls = (const unsigned char *)PyBytes_AS_STRING(classes);
    self->cache = PyDict_New();
    return self->cache == NULL ? -1 : 0;
}

/* ------------------------------------------------------------------ the scanner */

/* The end of the GPT-2 pre-token that starts at i (i < n). */
static Py_ssize_t piece_end(int kind, const void *data, Py_ssize_t i, Py_ssize_t n, const unsigned char *cls) {
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (c == '\'' && i + 1 < n) {
        Py_UCS4 c1 = PyUnicode_READ(kind, data, i + 1);
        if (c1 == 's' || c1 == 'd' || c1 == 'm' || c1 == 't') return i + 2;
        if (i + 2 < n) {
            Py_UCS4 c2 = PyUnicode_READ(kind, data, i + 2);
            if ((c1 == 'l' && c2 == 'l') || (c1 == 'v' && c2 == 'e') || (c1 == 'r' && c2 == 'e')) return i + 3;
        }
    }
    int k = cls[c];
    if (c == ' ' && i + 1 < n) {
        int next = cls[PyUnicode_READ(kind, data, i + 1)];
        if (next != CLASS_SPACE) { /* " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": the space leads the run */
            i++;
            k = next;
        }
    }
    Py_ssize_t j = i + 1;
    while (j < n && cls[PyUnicode_READ(kind, data, j)] == k) j++;
    if (k != CLASS_SPACE || j == n) return j;
    /* "\s+(?!\S)": a run of whitespace before a non-space gives its last character to the next
       piece; a single whitespace character before a non-space is "\s+" on its own. */
    return j - i >= 2 ? j - 1 : j;
}

static int check_str(PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "expected a str, got %s", Py_TYPE(text)->tp_name);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ merging one piece */

static Py_ssize_t merge_short(const RankTable *table, const uint32_t *merged, uint32_t *ids, Py_ssize_t n,
                              int32_t *ranks) {
    for (Py_ssize_t i = 0; i + 1 < n; i++) ranks[i] = rank_of(table, ids[i], ids[i + 1]);
    while (n > 1) {
        int32_t best = NO_RANK;
        Py_ssize_t at = 0;
        for (Py_ssize_t i = 0; i + 1 < n; i++)
            if (ranks[i] < best) {
                best = ranks[i];
                at = i;
            }
        if (best == NO_RANK) break;
        ids[at] = merged[best];
        memmove(ids + at + 1, ids + at + 2, sizeof(uint32_t) * (size_t)(n - at - 2));
        memmove(ranks + at, ranks + at + 1, sizeof(int32_t) * (size_t)(n - at - 2));
        n--;
        if (at > 0) ranks[at - 1] = rank_of(table, ids[at - 1], ids[at]);
        if (at + 1 < n) ranks[at] = rank_of(table, ids[at], ids[at + 1]);
    }
    return n;
}

/* Heap entries order by (rank, position): the lowest rank first, the leftmost among equals. */
static int entry_less(uint64_t x, uint64_t y) { return x < y; }

static void heap_push(uint64_t *heap, Py_ssize_t *size, uint64_t entry) {
    Py_ssize_t i = (*size)++;
    while (i > 0) {
        Py_ssize_t parent = (i - 1) / 2;
        if (!entry_less(entry, heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = entry;
}

static uint64_t heap_pop(uint64_t *heap, Py_ssize_t *size) {
    uint64_t top = heap[0], last = heap[--(*size)];
    Py_ssize_t i = 0, n = *size;
    for (;;) {
        Py_ssize_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && entry_less(heap[child + 1], heap[child])) child++;
        if (!entry_less(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
    }
    if (n > 0) heap[i] = last;
    return top;
}

/* The heap version of merge.apply_merges_heap: a linked list of symbols, stale entries skipped. */
static Py_ssize_t merge_long(const RankTable *table, const uint32_t *merged, uint32_t *ids, Py_ssize_t n) {
    if ((uint64_t)n > UINT32_MAX) { /* heap entries keep the position in 32 bits */
        PyErr_SetString(PyExc_OverflowError, "a pre-token of more than 2**32 bytes");
        return -1;
    }
    Py_ssize_t *nxt = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)n);
    Py_ssize_t *prv = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)n);
    /* n initial + at most 2 per merge; PyMem_New gives NULL where the size would wrap (32-bit builds) */
    uint64_t *heap = PyMem_New(uint64_t, 3 * (size_t)n);
    if (nxt == NULL || prv == NULL || heap == NULL) {
        PyMem_Free(nxt);
        PyMem_Free(prv);
        PyMem_Free(heap);
        PyErr_NoMemory();
        return -1;
    }
    const uint32_t GONE = UINT32_MAX;
    Py_ssize_t size = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        nxt[i] = i + 1;
        prv[i] = i - 1;
        if (i + 1 < n) {
            int32_t r = rank_of(table, ids[i], ids[i + 1]);
            if (r != NO_RANK) heap_push(heap, &size, ((uint64_t)r << 32) | (uint64_t)i);
        }
    }
    while (size > 0) {
        uint64_t entry = heap_pop(heap, &size);
        Py_ssize_t i = (Py_ssize_t)(entry & 0xffffffffULL);
        int32_t r = (int32_t)(entry >> 32);
        Py_ssize_t j = nxt[i];
        if (ids[i] == GONE || j >= n) continue;
        if (rank_of(table, ids[i], ids[j]) != r) continue; /* the pair at i changed since this was pushed */
        uint32_t new_id = merged[r];
        ids[i] = new_id;
        ids[j] = GONE;
        Py_ssize_t k = nxt[j];
        nxt[i] = k;
        if (k < n) {
            prv[k] = i;
            int32_t rk = rank_of(table, new_id, ids[k]);
            if (rk != NO_RANK) heap_push(heap, &size, ((uint64_t)rk << 32) | (uint64_t)i);
        }
        Py_ssize_t p = prv[i];
        if (p >= 0) {
            int32_t rp = rank_of(table, ids[p], new_id);
            if (rp != NO_RANK) heap_push(heap, &size, ((uint64_t)rp << 32) | (uint64_t)p);
        }
    }
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (ids[i] != GONE) ids[m++] = ids[i];
    PyMem_Free(nxt);
    PyMem_Free(prv);
    PyMem_Free(heap);
    return m;
}

/* The ids of one piece (a new tuple), merging its UTF-8 bytes. */
static PyObject *encode_piece(Encoder *self, PyObject *piece) {
    PyObject *utf8 = NULL;
    const unsigned char *bytes;
    Py_ssize_t n;
    if (PyUnicode_IS_ASCII(piece)) {
        bytes = (const unsigned char *)PyUnicode_DATA(piece);
        n = PyUnicode_GET_LENGTH(piece);
    } else {
        utf8 = PyUnicode_AsUTF8String(piece); /* lone surrogates raise UnicodeEncodeError, as str.encode does */
        if (utf8 == NULL) return NULL;
        bytes = (const unsigned char *)PyBytes_AS_STRING(utf8);
        n = PyBytes_GET_SIZE(utf8);
    }
    uint32_t small_ids[HEAP_ABOVE];
    int32_t small_ranks[HEAP_ABOVE];
    uint32_t *ids = n <= HEAP_ABOVE ? small_ids : PyMem_Malloc(sizeof(uint32_t) * (size_t)n);
    if (ids == NULL) {
        Py_XDECREF(utf8);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) ids[i] = self->byte_ids[bytes[i]];
    Py_XDECREF(utf8);
    Py_ssize_t m = n <= HEAP_ABOVE ? merge_short(&self->table, self->merged, ids, n, small_ranks)
                                   : merge_long(&self->table, self->merged, ids, n);
    PyObject *result = m < 0 ? NULL : PyTuple_New(m);
    for (Py_ssize_t i = 0; result != NULL && i < m; i++) {
        PyObject *id = (Py_ssize_t)ids[i] < self->num_ids ? Py_NewRef(self->small_ids[ids[i]])
                                                         : PyLong_FromUnsignedLong(ids[i]);
        if (id == NULL) Py_CLEAR(result);
        else PyTuple_SET_ITEM(result, i, id);
    }
    if (ids != small_ids) PyMem_Free(ids);
    return result;
}

/* The ids of a piece (a borrowed reference, or a new one in *owned when the piece is not cached). */
static PyObject *piece_ids(Encoder *self, PyObject *piece, PyObject **owned) {
    *owned = NULL;
    PyObject *ids = PyDict_GetItemWithError(self->cache, piece);
    if (ids != NULL || PyErr_Occurred()) return ids;
    ids = encode_piece(self, piece);
    if (ids == NULL) return NULL;
    if (PyUnicode_GET_LENGTH(piece) <= MAX_CACHED_CHARS) {
        if (PyDict_GET_SIZE(self->cache) >= CACHE_LIMIT) PyDict_Clear(self->cache);
        if (PyDict_SetItem(self->cache, piece, ids) < 0) {
            Py_DECREF(ids);
            return NULL;
        }
        Py_DECREF(ids); /* the cache holds it now */
        return ids;
    }
    *owned = ids;
    return ids;
}

PyDoc_STRVAR(encode_doc, "encode(text: str) -> list[int]\n\n"
                         "The ids of text that holds no special token: GPT-2 pre-tokens, each merged.");

static PyObject *Encoder_encode(Encoder *self, PyObject *text) {
    if (check_ready(self) < 0 || check_str(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t j = piece_end(kind, data, i, n, self->cls);
        PyObject *piece = PyUnicode_Substring(text, i, j);
        if (piece == NULL) goto error;
        PyObject *owned;
        PyObject *ids = piece_ids(self, piece, &owned);
        Py_DECREF(piece);
        if (ids == NULL) goto error;
        Py_ssize_t count = PyTuple_GET_SIZE(ids);
        for (Py_ssize_t t = 0; t < count; t++)
            if (PyList_Append(out, PyTuple_GET_ITEM(ids, t)) < 0) {
                Py_XDECREF(owned);
                goto error;
            }
        Py_XDECREF(owned);
        i = j;
    }
    return out;
error:
    Py_DECREF(out);
    return NULL;
}

PyDoc_STRVAR(clear_doc, "clear_cache() -> None\n\nForget every cached piece.");

static PyObject *Encoder_clear_cache(Encoder *self, PyObject *Py_UNUSED(ignored)) {
    if (check_ready(self) < 0) return NULL;
    PyDict_Clear(self->cache);
    Py_RETURN_NONE;
}

static PyObject *Encoder_cache_size(Encoder *self, void *Py_UNUSED(closure)) {
    if (check_ready(self) < 0) return NULL;
    return PyLong_FromSsize_t(PyDict_GET_SIZE(self->cache));
}

static PyMethodDef Encoder_methods[] = {
    {"encode", (PyCFunction)Encoder_encode, METH_O, encode_doc},
    {"clear_cache", (PyCFunction)Encoder_clear_cache, METH_NOARGS, clear_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Encoder_getset[] = {
    {"cache_size", (getter)Encoder_cache_size, NULL, "Pieces in the cache.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Encoder_doc, "Encoder(ranks, merged, byte_ids, classes)\n\n"
                          "ranks: {(a, b): rank}; merged[rank]: the id that merge makes; byte_ids[b]: the id of\n"
                          "byte b; classes: gpt2_char_classes(). Holds its own tables (never the tokenizer).");

static PyTypeObject EncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "course_lib.tokenization._fast_encode.Encoder",
    .tp_basicsize = sizeof(Encoder),
    .tp_dealloc = (destructor)Encoder_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = Encoder_doc,
    .tp_methods = Encoder_methods,
    .tp_getset = Encoder_getset,
    .tp_init = (initproc)Encoder_init,
    .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------ module functions */

static const unsigned char *class_table(PyObject *classes) {
    if (!PyBytes_Check(classes) || PyBytes_GET_SIZE(classes) != NUM_CODE_POINTS) {
        PyErr_Format(PyExc_ValueError, "classes must be bytes with one class per code point (%d)", NUM_CODE_POINTS);
        return NULL;
    }
    return (const unsigned char *)PyBytes_AS_STRING(classes);
}

PyDoc_STRVAR(split_doc, "split_pretokens(text: str, classes: bytes) -> list[str]\n\n"
                        "GPT-2's pre-tokens of text, as GPT2_REGEX.findall(text) gives them.");

static PyObject *split_pretokens(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *text, *classes;
    if (!PyArg_ParseTuple(args, "OO:split_pretokens", &text, &classes) || check_str(text) < 0) return NULL;
    const unsigned char *cls = class_table(classes);
    if (cls == NULL) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i < n;) {
        Py_ssize_t j = piece_end(kind, data, i, n, cls);
        PyObject *piece = PyUnicode_Substring(text, i, j);
        if (piece == NULL || PyList_Append(out, piece) < 0) Py_CLEAR(out);
        Py_XDECREF(piece);
        i = j;
    }
    return out;
}

PyDoc_STRVAR(count_doc, "count_pretokens(text: str, classes: bytes, counts: dict[str, int]) -> None\n\n"
                        "Add each GPT-2 pre-token of text to counts (as collections.Counter.update would).");

static PyObject *count_pretokens(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *text, *classes, *counts;
    if (!PyArg_ParseTuple(args, "OOO!:count_pretokens", &text, &classes, &PyDict_Type, &counts) ||
        check_str(text) < 0)
        return NULL;
    const unsigned char *cls = class_table(classes);
    if (cls == NULL) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t j = piece_end(kind, data, i, n, cls);
        PyObject *piece = PyUnicode_Substring(text, i, j);
        if (piece == NULL) return NULL;
        PyObject *old = PyDict_GetItemWithError(counts, piece);
        PyObject *updated = NULL;
        if (old != NULL) {
            PyObject *one = PyLong_FromLong(1);
            updated = one == NULL ? NULL : PyNumber_Add(old, one);
            Py_XDECREF(one);
        } else if (!PyErr_Occurred()) {
            updated = PyLong_FromLong(1);
        }
        int failed = updated == NULL || PyDict_SetItem(counts, piece, updated) < 0;
        Py_XDECREF(updated);
        Py_DECREF(piece);
        if (failed) return NULL;
        i = j;
    }
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"split_pretokens", split_pretokens, METH_VARARGS, split_doc},
    {"count_pretokens", count_pretokens, METH_VARARGS, count_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "course_lib.tokenization._fast_encode",
    .m_doc = "C accelerator of the tokenizer's encoding (same results as the Python code).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__fast_encode(void) {
    if (PyType_Ready(&EncoderType) < 0) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    Py_INCREF(&EncoderType);
    if (PyModule_AddObject(module, "Encoder", (PyObject *)&EncoderType) < 0) {
        Py_DECREF(&EncoderType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
