/* SPDX-License-Identifier: Apache-2.0 */
/* Docker image references, normalised the way the docker CLI and dockerd do
 * ("alpine" = "docker.io/library/alpine:latest"), and the image patterns of
 * ECI's dockerSocketMount.imageList ("name", "name:tag", "name:*",
 * "name@sha256:...", "*"). */
#ifndef LOCKSET_IMAGEREF_H
#define LOCKSET_IMAGEREF_H

#include <stddef.h>

#define IMAGEREF_MAX 512

struct imageref {
	char registry[256];      /* "docker.io", "ghcr.io", "localhost:5000"; lower case */
	char name[IMAGEREF_MAX]; /* registry + "/" + path: "docker.io/library/alpine" */
	char tag[136];           /* "latest" when neither tag nor digest is given; "" otherwise */
	char digest[136];        /* "sha256:..." or "" */
};

/* Parse and normalise ref. docker.io aliases ("index.docker.io",
 * "registry-1.docker.io") become "docker.io"; a single-component Docker Hub
 * path gets "library/". Returns 0, or -1 when ref is empty, too long or not a
 * plausible reference. */
int imageref_parse(const char *ref, struct imageref *out);

/* 1 when tag is a valid tag, as distribution/reference's WithTag requires
 * ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
int imageref_tag_valid(const char *tag);

/* The name dockerd gives an image from the form values repo and tag
 * (httputils.RepoTagReference, for commit, import, tag and push): repo read
 * as a reference; a non-empty tag replaces repo's own tag; an empty one
 * keeps it, or gives "latest". Returns 0, or -1 when dockerd refuses the
 * pair: repo empty or unparsable, repo carrying a digest, tag invalid. */
int imageref_repo_tag(const char *repo, const char *tag, struct imageref *out);

/* Normalise a registry host name (lower case, docker.io aliases) into out.
 * Returns 0, or -1 when it does not fit. */
int imageref_registry_normalise(const char *host, char *out, size_t outsz);

/* The registry dockerd logs in to for POST /auth's serveraddress (its
 * registry service's Auth): "https://" is put before an address with no
 * "https://" or "http://", and the URL's host is taken; an empty address is
 * Docker Hub's. Normalised as above into out. Returns 0, or -1 when the
 * host is empty, holds a user ('@'), an escape or any byte a host name
 * cannot, or does not fit (a registry lockset cannot name is refused). */
int imageref_server_registry(const char *addr, char *out, size_t outsz);

/* The registry dockerd asks for GET /images/search's term
 * (splitReposSearchTerm): the part before the first '/' when it has a '.'
 * or ':' or is "localhost", otherwise Docker Hub. Normalised into out; 0, or
 * -1 as imageref_server_registry. */
int imageref_search_registry(const char *term, char *out, size_t outsz);

/* An imageList pattern. */
struct imageref_pattern {
	int any;             /* the single entry "*" */
	int any_tag;         /* "name:*" */
	struct imageref ref; /* name plus tag or digest */
};

/* Compile one imageList entry. Returns 0, or -1 when it is not a reference. */
int imageref_pattern_parse(const char *pattern, struct imageref_pattern *out);

/* 1 when the (parsed) image matches the pattern: same name and, unless the
 * pattern is "name:*", the same digest (pattern "name@sha256:x") or the same
 * tag (pattern "name:tag" or "name" = ":latest"). */
int imageref_pattern_match(const struct imageref_pattern *pat, const struct imageref *img);

#endif
