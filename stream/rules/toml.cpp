/* toml.cpp -- the C API of toml.h over toml++ (Debian's
 * libtomlplusplus-dev), the project's second and last piece of C++.
 *
 * toml++ is used header-only (TOML_HEADER_ONLY=1) with its exceptions
 * off (TOML_EXCEPTIONS=0): a syntax error comes back as a parse_result,
 * not a throw.  The Debian package's shared library is not linked: it is
 * built with exceptions on, a different ABI namespace of toml++, and the
 * fuzzers must stay free of shared libraries beyond libc and libstdc++.
 * The translation unit itself keeps C++ exceptions on only so that
 * std::bad_alloc from the parser's allocations is caught here and turned
 * into an error: nothing C++ reaches the C side (sw_toml_parse, the one
 * entry point that allocates, catches everything).  Load time only; never per record. */
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include "toml.h"

#include <toml++/toml.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>

struct sw_toml {
    toml::table root;
};

static const toml::node *node_of(sw_toml_node n) { return static_cast<const toml::node *>(n.p); }
static sw_toml_node wrap(const toml::node *n) { return sw_toml_node{n}; }

static void set_error(sw_toml_error *err, uint32_t line, uint32_t column, std::string_view what) {
    if (!err) return;
    err->line = line;
    err->column = column;
    size_t n = what.size() < sizeof err->message - 1 ? what.size() : sizeof err->message - 1;
    std::memcpy(err->message, what.data(), n);
    err->message[n] = '\0';
}

extern "C" sw_toml *sw_toml_parse(const char *text, size_t len, sw_toml_error *err) {
    try {
        toml::parse_result r = toml::parse(std::string_view(text, len));
        if (!r) {
            const toml::parse_error &e = r.error();
            set_error(err, e.source().begin.line, e.source().begin.column, e.description());
            return nullptr;
        }
        sw_toml *doc = new (std::nothrow) sw_toml{std::move(r).table()};
        if (!doc) set_error(err, 0, 0, "out of memory");
        return doc;
    } catch (...) {
        set_error(err, 0, 0, "out of memory while parsing TOML");
        return nullptr;
    }
}

extern "C" void sw_toml_free(sw_toml *doc) { delete doc; }

extern "C" sw_toml_node sw_toml_root(const sw_toml *doc) { return wrap(doc ? &doc->root : nullptr); }

extern "C" sw_toml_kind sw_toml_kind_of(sw_toml_node n) {
    const toml::node *x = node_of(n);
    if (!x) return SW_TOML_NONE;
    switch (x->type()) {
    case toml::node_type::table: return SW_TOML_TABLE;
    case toml::node_type::array: return SW_TOML_ARRAY;
    case toml::node_type::string: return SW_TOML_STRING;
    case toml::node_type::integer: return SW_TOML_INTEGER;
    case toml::node_type::floating_point: return SW_TOML_FLOAT;
    case toml::node_type::boolean: return SW_TOML_BOOLEAN;
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return SW_TOML_DATETIME;
    default: return SW_TOML_NONE;
    }
}

extern "C" const char *sw_toml_kind_name(sw_toml_kind k) {
    static const char *const names[] = {"nothing", "table",  "array",   "string",
                                        "integer", "float", "boolean", "date/time"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

extern "C" sw_toml_node sw_toml_get(sw_toml_node n, const char *key) {
    const toml::node *x = node_of(n);
    const toml::table *t = x ? x->as_table() : nullptr;
    return wrap(t ? t->get(std::string_view(key)) : nullptr);
}

extern "C" size_t sw_toml_len(sw_toml_node n) {
    const toml::node *x = node_of(n);
    const toml::array *a = x ? x->as_array() : nullptr;
    return a ? a->size() : 0;
}

extern "C" sw_toml_node sw_toml_at(sw_toml_node n, size_t i) {
    const toml::node *x = node_of(n);
    const toml::array *a = x ? x->as_array() : nullptr;
    return wrap(a ? a->get(i) : nullptr);
}

extern "C" int sw_toml_string(sw_toml_node n, const char **p, size_t *len) {
    const toml::node *x = node_of(n);
    const toml::value<std::string> *s = x ? x->as_string() : nullptr;
    if (!s) return -1;
    *p = s->get().data();
    *len = s->get().size();
    return 0;
}

extern "C" int sw_toml_int(sw_toml_node n, int64_t *v) {
    const toml::node *x = node_of(n);
    const toml::value<int64_t> *i = x ? x->as_integer() : nullptr;
    if (!i) return -1;
    *v = i->get();
    return 0;
}

extern "C" void sw_toml_where(sw_toml_node n, uint32_t *line, uint32_t *column) {
    const toml::node *x = node_of(n);
    *line = x ? x->source().begin.line : 0;
    *column = x ? x->source().begin.column : 0;
}
