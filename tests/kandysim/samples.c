/*
 * Audio samples for the "play:<name>" media mode: 8 kHz mono 16-bit PCM,
 * loaded from WAV files at start (-S dir) or given over the control API.
 * A call holds a reference, so replacing or deleting a sample never pulls
 * the audio from under a call that plays it.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"
#include "log.h"

struct sample_list	 samples = TAILQ_HEAD_INITIALIZER(samples);
static int		 nsamples;

static uint32_t
le32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static uint16_t
le16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | p[1] << 8));
}

/* Little-endian s16 bytes to samples; n bytes, even. */
int16_t *
sample_pcm(const uint8_t *b, size_t n)
{
	int16_t	*pcm;
	size_t	 i;

	pcm = xcalloc(n / 2 + 1, sizeof(int16_t));
	for (i = 0; i < n / 2; i++)
		pcm[i] = (int16_t)le16(b + 2 * i);
	return (pcm);
}

/*
 * A RIFF/WAVE file holding 8 kHz mono 16-bit PCM: its samples, or -1 with
 * the reason in err.  Chunks other than fmt and data are skipped.
 */
int
wav_parse(const uint8_t *b, size_t len, int16_t **pcm, size_t *n,
    char *err, size_t errlen)
{
	const uint8_t	*fmt = NULL;
	size_t		 off, clen;

	*pcm = NULL;
	*n = 0;
	if (len < 12 || memcmp(b, "RIFF", 4) != 0 ||
	    memcmp(b + 8, "WAVE", 4) != 0) {
		snprintf(err, errlen, "not a RIFF/WAVE file");
		return (-1);
	}
	for (off = 12; off < len && len - off >= 8;
	    off += 8 + clen + (clen & 1)) {
		clen = le32(b + off + 4);
		if (memcmp(b + off, "fmt ", 4) == 0) {
			if (clen < 16 || clen > len - off - 8) {
				snprintf(err, errlen, "short fmt chunk");
				return (-1);
			}
			fmt = b + off + 8;
		} else if (memcmp(b + off, "data", 4) == 0) {
			if (fmt == NULL) {
				snprintf(err, errlen, "data before fmt");
				return (-1);
			}
			if (le16(fmt) != 1 || le16(fmt + 2) != 1 ||
			    le32(fmt + 4) != SAMPLE_RATE ||
			    le16(fmt + 14) != 16 || le16(fmt + 12) != 2) {
				snprintf(err, errlen, "not 8 kHz mono 16-bit "
				    "PCM (format %u, %u channels, %u Hz, "
				    "%u bits)", le16(fmt), le16(fmt + 2),
				    le32(fmt + 4), le16(fmt + 14));
				return (-1);
			}
			if (clen > len - off - 8) {
				snprintf(err, errlen, "data chunk of %zu "
				    "bytes runs past the end of the file",
				    clen);
				return (-1);
			}
			if (clen & 1) {
				snprintf(err, errlen, "odd data length");
				return (-1);
			}
			if (clen / 2 < SAMPLE_MIN || clen / 2 > SAMPLE_MAX) {
				snprintf(err, errlen, "%zu samples: must be "
				    "%d to %d (20 ms to 60 s)", clen / 2,
				    SAMPLE_MIN, SAMPLE_MAX);
				return (-1);
			}
			*pcm = sample_pcm(b + off + 8, clen);
			*n = clen / 2;
			return (0);
		}
		if (clen > len - off - 8)
			break;
	}
	snprintf(err, errlen, fmt == NULL ? "no fmt chunk" : "no data chunk");
	return (-1);
}

static int
name_ok(const char *name)
{
	const char	*p;

	if (name == NULL || *name == '\0' || strlen(name) > SAMPLE_NAME_MAX)
		return (0);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return (0);
	return (1);
}

struct sample *
sample_find(const char *name)
{
	struct sample	*s;

	TAILQ_FOREACH(s, &samples, entry)
		if (strcmp(s->name, name) == 0)
			return (s);
	return (NULL);
}

/* A reference for a call, or NULL; give it back with sample_put(). */
struct sample *
sample_get(const char *name)
{
	struct sample	*s;

	if ((s = sample_find(name)) != NULL)
		s->refs++;
	return (s);
}

void
sample_put(struct sample *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	free(s->pcm);
	free(s);
}

static void
sample_unlink(struct sample *s)
{
	TAILQ_REMOVE(&samples, s, entry);
	nsamples--;
	sample_put(s);
}

/* Adds or replaces; takes pcm (freed on error too). */
int
sample_add(const char *name, int16_t *pcm, size_t n, char *err,
    size_t errlen)
{
	struct sample	*s, *old;

	if (!name_ok(name)) {
		snprintf(err, errlen, "bad sample name (1-%d of A-Z a-z 0-9 "
		    "_ - .)", SAMPLE_NAME_MAX);
		goto bad;
	}
	if (n < SAMPLE_MIN || n > SAMPLE_MAX) {
		snprintf(err, errlen, "%zu samples: must be %d to %d "
		    "(20 ms to 60 s)", n, SAMPLE_MIN, SAMPLE_MAX);
		goto bad;
	}
	old = sample_find(name);
	if (old == NULL && nsamples >= SAMPLES_MAX) {
		snprintf(err, errlen, "too many samples (%d)", SAMPLES_MAX);
		goto bad;
	}
	s = xcalloc(1, sizeof(*s));
	strlcpy(s->name, name, sizeof(s->name));
	s->pcm = pcm;
	s->n = n;
	s->refs = 1;
	if (old != NULL) {
		TAILQ_INSERT_AFTER(&samples, old, s, entry);
		sample_unlink(old);
	} else
		TAILQ_INSERT_TAIL(&samples, s, entry);
	nsamples++;
	return (0);
 bad:
	free(pcm);
	return (-1);
}

int
sample_delete(const char *name)
{
	struct sample	*s;

	if ((s = sample_find(name)) == NULL)
		return (-1);
	sample_unlink(s);
	return (0);
}

static int
load_file(const char *path, const char *name)
{
	struct stat	 st;
	FILE		*f;
	uint8_t		*buf;
	int16_t		*pcm;
	size_t		 n;
	char		 err[128];
	int		 rv = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		log_warn("%s", path);
		return (-1);
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size < 0 ||
	    st.st_size > SAMPLE_FILE_MAX) {
		log_warnx("%s: not a file of at most %d bytes", path,
		    SAMPLE_FILE_MAX);
		fclose(f);
		return (-1);
	}
	buf = xcalloc(1, st.st_size + 1);
	if (fread(buf, 1, st.st_size, f) != (size_t)st.st_size)
		log_warnx("%s: short read", path);
	else if (wav_parse(buf, st.st_size, &pcm, &n, err, sizeof(err)) ==
	    -1 || sample_add(name, pcm, n, err, sizeof(err)) == -1)
		log_warnx("%s: %s", path, err);
	else {
		log_info("sample %s: %zu samples from %s", name, n, path);
		rv = 0;
	}
	free(buf);
	fclose(f);
	return (rv);
}

/* Every *.wav in dir, named by the file name without .wav; -1 on error. */
int
samples_load(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[1024], name[SAMPLE_NAME_MAX + 1];
	size_t		 len;
	int		 rv = 0;

	if ((d = opendir(dir)) == NULL) {
		log_warn("%s", dir);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || strcasecmp(de->d_name + len - 4, ".wav") != 0)
			continue;
		if (len - 4 > SAMPLE_NAME_MAX ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path)) {
			log_warnx("%s: name too long", de->d_name);
			rv = -1;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4),
		    de->d_name);
		if (load_file(path, name) == -1)
			rv = -1;
	}
	closedir(d);
	return (rv);
}

json_t *
samples_json(void)
{
	struct sample	*s;
	json_t		*a;

	a = json_array();
	TAILQ_FOREACH(s, &samples, entry)
		json_array_append_new(a, json_pack("{s:s, s:I, s:i, s:i}",
		    "name", s->name, "samples", (json_int_t)s->n,
		    "duration_ms", (int)(s->n * 1000 / SAMPLE_RATE),
		    "calls", s->refs - 1));
	return (a);
}
