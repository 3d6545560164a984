/*
 * incident.c: drive the autotrigger engine through its C ABI like camera firmware would, on an
 * incident recorded as files, and print every decision.
 *
 *   incident [-k DEVICE.key -l AUDIT.jsonl [-d DEVICE_ID] [-s NAME:BYTES:SHA256]...]
 *            AUDIO.wav IMU.csv [INPUTS.csv] [POLICY.toml]
 *
 * With -k (a device key: 64 hex digits, as `autotrigger keygen` writes `device.key`) the engine
 * signs its audit log, written line by line to -l; each -s reports a recorded media segment
 * (name, byte length, SHA-256 in hex) at the end, before the seal. `autotrigger audit verify
 * AUDIT.jsonl --pubkey device.pub` checks it (tests/capi_incident.rs).
 *
 * AUDIO.wav: 16-bit PCM, mono (fed as int16 in 10 ms blocks, like a microphone DMA buffer).
 * IMU.csv:   header row, then t_s,ax,ay,az[,gx,gy,gz] (m/s^2, rad/s), as in docs/formats.md.
 * INPUTS.csv: header row, then t_s,input,value (holster,drawn; light_bar,on; ...).
 *
 * The streams are interleaved in time order exactly the way `autotrigger run` does it (steps
 * of at most 10 ms of stream time, cut at input times), so that decisions come out in time
 * order; audio goes in as int16 straight from the file. The output (one tab-separated line per decision, after a header line) is compared with
 * `autotrigger run --format jsonl` on the same files by tests/capi_incident.rs.
 *
 * Build (from the repository root):
 *   cargo rustc --release --lib --features capi --crate-type staticlib
 *   cc -std=c11 -O2 -Wall -Wextra -Iinclude examples/c/incident.c \
 *      target/release/libautotrigger.a -lm -lpthread -ldl -o target/incident_c
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "autotrigger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what) {
    char msg[AT_ERROR_LEN];
    at_last_error(msg, sizeof msg);
    fprintf(stderr, "incident: %s: %s\n", what, msg);
    exit(1);
}

static void die_io(const char *path, const char *what) {
    fprintf(stderr, "incident: %s: %s\n", path, what);
    exit(1);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) die_io(path, "cannot open");
    if (fseek(f, 0, SEEK_END) != 0) die_io(path, "cannot seek");
    long n = ftell(f);
    if (n < 0) die_io(path, "cannot size");
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (!buf) die_io(path, "out of memory");
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) die_io(path, "short read");
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* A tiny RIFF/WAVE reader: 16-bit PCM mono only (the incident fixture's format). */
static int16_t *read_wav(const char *path, size_t *n, uint32_t *rate) {
    size_t len;
    unsigned char *b = (unsigned char *)read_file(path, &len);
    if (len < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WAVE", 4) != 0)
        die_io(path, "not a RIFF/WAVE file");
    size_t pos = 12;
    int have_fmt = 0;
    while (pos + 8 <= len) {
        uint32_t size = le32(b + pos + 4);
        const unsigned char *body = b + pos + 8;
        if (size > len - pos - 8) die_io(path, "truncated chunk");
        if (memcmp(b + pos, "fmt ", 4) == 0 && size >= 16) {
            uint16_t format = le16(body), channels = le16(body + 2), bits = le16(body + 14);
            *rate = le32(body + 4);
            if ((format != 1 && format != 0xFFFE) || channels != 1 || bits != 16)
                die_io(path, "only 16-bit PCM mono WAV is supported by this example");
            have_fmt = 1;
        } else if (memcmp(b + pos, "data", 4) == 0) {
            if (!have_fmt) die_io(path, "data chunk before fmt chunk");
            *n = size / 2;
            int16_t *s = malloc(*n * sizeof *s + 1);
            if (!s) die_io(path, "out of memory");
            for (size_t i = 0; i < *n; i++) s[i] = (int16_t)le16(body + 2 * i);
            free(b);
            return s;
        }
        pos += 8 + size + (size & 1);
    }
    die_io(path, "no data chunk");
    return NULL;
}

static int64_t secs_to_us(double s) {
    /* Round to the nearest microsecond, as the Rust readers do. */
    return (int64_t)(s * 1e6 + (s >= 0 ? 0.5 : -0.5));
}

/* IMU CSV: header, then t_s,ax,ay,az[,gx,gy,gz] (extra columns ignored). */
static AtImuSample *read_imu(const char *path, size_t *n) {
    size_t len, cap = 1024;
    char *text = read_file(path, &len);
    AtImuSample *v = malloc(cap * sizeof *v);
    if (!v) die_io(path, "out of memory");
    *n = 0;
    char *line = strtok(text, "\n");
    for (line = line ? strtok(NULL, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        double f[7];
        int k = 0;
        char *p = line, *end;
        while (k < 7) {
            f[k] = strtod(p, &end);
            if (end == p) break;
            k++;
            while (*end == ' ') end++;
            if (*end != ',') break;
            p = end + 1;
        }
        if (k == 0 && strspn(line, " \r") == strlen(line)) continue;
        if (k < 4) die_io(path, "IMU row with fewer than 4 numbers");
        if (*n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            if (!v) die_io(path, "out of memory");
        }
        AtImuSample s = {secs_to_us(f[0]), {(float)f[1], (float)f[2], (float)f[3]}, {0, 0, 0}, 0};
        if (k >= 7) {
            s.gyro[0] = (float)f[4];
            s.gyro[1] = (float)f[5];
            s.gyro[2] = (float)f[6];
            s.has_gyro = 1;
        }
        v[(*n)++] = s;
    }
    free(text);
    return v;
}

static char *trim(char *s) {
    while (*s == ' ') s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ') s[--n] = '\0';
    return s;
}

typedef struct {
    int64_t t_us;
    int32_t input;
} TimedInput;

/* Inputs CSV: header, then t_s,input,value. */
static TimedInput *read_inputs(const char *path, size_t *n) {
    size_t len, cap = 64;
    char *text = read_file(path, &len);
    TimedInput *v = malloc(cap * sizeof *v);
    if (!v) die_io(path, "out of memory");
    *n = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    for (line = line ? strtok_r(NULL, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        line[strcspn(line, "\r")] = '\0';
        if (line[0] == '\0' || line[0] == '#') continue;
        char *c1 = strchr(line, ',');
        char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2) die_io(path, "inputs row is not t_s,input,value");
        *c1 = *c2 = '\0';
        char *value = c2 + 1;
        value[strcspn(value, ",")] = '\0';
        int32_t code = at_input_parse(trim(c1 + 1), trim(value));
        if (code < 0) die("inputs");
        if (*n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            if (!v) die_io(path, "out of memory");
        }
        v[*n].t_us = secs_to_us(strtod(line, NULL));
        v[*n].input = code;
        (*n)++;
    }
    free(text);
    return v;
}

/* Hex digits to bytes: 0 on success. */
static int parse_hex(const char *s, unsigned char *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
            else return -1;
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

/* The audit log's file (NULL without a key). In firmware, a lower-priority task does this. */
static FILE *audit_file = NULL;

static void write_audit(AtEngine *engine) {
    if (!audit_file) return;
    char line[4096];
    size_t n;
    int32_t rc;
    while ((rc = at_engine_audit_line(engine, line, sizeof line, &n)) == 1) {
        fwrite(line, 1, n, audit_file);
        fputc('\n', audit_file);
    }
    if (rc < 0) die("at_engine_audit_line");
}

static void print_decisions(AtEngine *engine) {
    AtDecision d;
    int32_t rc;
    while ((rc = at_engine_poll_decision(engine, &d)) == 1) {
        printf("%" PRIu64 "\t%" PRId64 "\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%.6f\t", d.seq,
               d.at_us, d.kind_name, d.cause_name, d.state_name, d.onset_us, d.keep_from_us,
               (double)d.confidence);
        for (uint32_t i = 0; i < d.evidence_len; i++) {
            const AtEvidence *e = &d.evidence[i];
            printf("%s%s=%.6g", i ? "," : "", e->name, (double)e->value);
            if (e->has_threshold) printf("/%.6g", (double)e->threshold);
        }
        printf("\n");
    }
    if (rc < 0) die("poll");
    write_audit(engine);
}

static void check(int32_t rc, const char *what) {
    /* Input errors (rejected samples) are reported and the stream goes on, as firmware would. */
    if (rc == AT_ERR_INPUT) {
        char msg[AT_ERROR_LEN];
        at_last_error(msg, sizeof msg);
        fprintf(stderr, "incident: %s: %s (continuing)\n", what, msg);
    } else if (rc != AT_OK) {
        die(what);
    }
}

typedef struct {
    const char *name;
    uint64_t bytes;
    unsigned char sha256[32];
} Segment;

int main(int argc, char **argv) {
    const char *key_path = NULL, *log_path = NULL, *device_id = "incident-c";
    Segment segments[16];
    size_t n_segments = 0;
    int a = 1;
    for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
        char opt = argv[a][1];
        if (opt == 'k') key_path = argv[a + 1];
        else if (opt == 'l') log_path = argv[a + 1];
        else if (opt == 'd') device_id = argv[a + 1];
        else if (opt == 's' && n_segments < 16) {
            /* NAME:BYTES:SHA256 (the name may not contain ':'). */
            char *spec = argv[a + 1];
            char *c1 = strchr(spec, ':');
            char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            Segment *g = &segments[n_segments++];
            if (!c2 || strlen(c2 + 1) != 64 || parse_hex(c2 + 1, g->sha256, 32) != 0)
                die_io(spec, "segment is not NAME:BYTES:SHA256");
            *c1 = '\0';
            g->name = spec;
            g->bytes = strtoull(c1 + 1, NULL, 10);
        } else {
            die_io(argv[a], "unknown option");
        }
    }
    argc -= a - 1;
    argv += a - 1;
    if (argc < 3 || argc > 5 || (key_path && !log_path)) {
        fprintf(stderr,
                "usage: incident [-k DEVICE.key -l AUDIT.jsonl [-d ID] [-s NAME:BYTES:SHA256]...] "
                "AUDIO.wav IMU.csv [INPUTS.csv] [POLICY.toml]\n");
        return 2;
    }
    size_t n_audio, n_imu, n_inputs = 0, policy_len;
    uint32_t rate = 0;
    int16_t *audio = read_wav(argv[1], &n_audio, &rate);
    AtImuSample *imu = read_imu(argv[2], &n_imu);
    TimedInput *inputs = argc >= 4 ? read_inputs(argv[3], &n_inputs) : NULL;
    char *policy = argc >= 5 ? read_file(argv[4], &policy_len) : NULL;

    AtEngine *engine = NULL;
    if (at_engine_new(policy, rate, &engine) != AT_OK) die("at_engine_new");
    if (key_path) {
        /* The device key: from a secure element in firmware, from a provisioned file here. */
        size_t key_len;
        char *hex = read_file(key_path, &key_len);
        unsigned char key[AT_KEY_LEN];
        if (key_len < 2 * AT_KEY_LEN || parse_hex(hex, key, AT_KEY_LEN) != 0)
            die_io(key_path, "not a device key (64 hex digits)");
        free(hex);
        if (at_engine_set_signing_key(engine, key, device_id) != AT_OK) die("at_engine_set_signing_key");
        memset(key, 0, sizeof key);
        audit_file = fopen(log_path, "wb");
        if (!audit_file) die_io(log_path, "cannot create");
        write_audit(engine); /* the signed header */
    }

    printf("seq\tat_us\tdecision\tcause\tstate\tonset_us\tkeep_from_us\tconfidence\tevidence\n");
    /* Stream time advances in steps of at most 10 ms (a DMA block), cut short at each input's
     * time; within a step: the audio up to the step's end, the IMU samples before it, then the
     * inputs at or before it, then poll. */
    const int64_t step_us = 10000;
    int64_t end = (int64_t)(((uint64_t)n_audio * 1000000u) / rate);
    if (n_imu && imu[n_imu - 1].t_us + 1 > end) end = imu[n_imu - 1].t_us + 1;
    if (n_inputs && inputs[n_inputs - 1].t_us + 1 > end) end = inputs[n_inputs - 1].t_us + 1;
    size_t a_pos = 0, i_pos = 0, in_pos = 0;
    int64_t t = 0;
    while (t < end || in_pos < n_inputs) {
        int64_t stop = t + step_us;
        int64_t limit = end > t + 1 ? end : t + 1;
        if (stop > limit) stop = limit;
        if (in_pos < n_inputs) {
            int64_t ti = inputs[in_pos].t_us > t ? inputs[in_pos].t_us : t;
            if (ti < stop) stop = ti;
        }
        /* First sample at or after `stop`: ceil(stop * rate / 1e6). */
        size_t upto = stop <= 0 ? 0 : (size_t)(((uint64_t)stop * rate + 999999u) / 1000000u);
        if (upto > n_audio) upto = n_audio;
        if (upto > a_pos) {
            check(at_engine_push_audio_i16(engine, audio + a_pos, upto - a_pos), "push_audio_i16");
            a_pos = upto;
        }
        size_t i_end = i_pos;
        while (i_end < n_imu && imu[i_end].t_us < stop) i_end++;
        if (i_end > i_pos) {
            check(at_engine_push_imu(engine, imu + i_pos, i_end - i_pos), "push_imu");
            i_pos = i_end;
        }
        while (in_pos < n_inputs && inputs[in_pos].t_us <= stop) {
            check(at_engine_push_input(engine, inputs[in_pos].t_us, inputs[in_pos].input),
                  "push_input");
            in_pos++;
        }
        print_decisions(engine);
        t = stop;
    }
    if (a_pos < n_audio) check(at_engine_push_audio_i16(engine, audio + a_pos, n_audio - a_pos), "push_audio_i16");
    if (i_pos < n_imu) check(at_engine_push_imu(engine, imu + i_pos, n_imu - i_pos), "push_imu");
    check(at_engine_finish(engine), "finish");
    print_decisions(engine);
    if (audit_file) {
        /* A clean end: the recorded segments, then the seal. */
        for (size_t k = 0; k < n_segments; k++) {
            if (at_engine_report_segment(engine, segments[k].name, segments[k].bytes,
                                         segments[k].sha256) != AT_OK)
                die("at_engine_report_segment");
            write_audit(engine);
        }
        if (at_engine_audit_seal(engine) != AT_OK) die("at_engine_audit_seal");
        write_audit(engine);
        if (fclose(audit_file) != 0) die_io(log_path, "cannot write");
    }

    at_engine_free(engine);
    free(audio);
    free(imu);
    free(inputs);
    free(policy);
    return 0;
}
