/* Policy drop-in resolution: search path, same-name overrides, masking, NAME.conf.d extensions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SRIOVD_POLICY_SEARCH_PATH "/etc/sriovd.d:/run/sriovd.d:/usr/local/lib/sriovd.d:/usr/lib/sriovd.d"
#define SRIOVD_POLICY_SUFFIX ".conf"

typedef struct ConfFile {
        char *name;             /* "50-e810.conf": orders the files and names the policy */
        char *path;             /* the file that won (root prefix included) */
        bool masked;            /* the winning entry is a symlink to /dev/null or an empty file */
        char **dropins;         /* NAME.conf.d/ (*.conf), ordered by file name, masked ones left out */
} ConfFile;

typedef struct ConfFileList {
        ConfFile *files;        /* ordered by name */
        size_t n_files;
} ConfFileList;

ConfFileList *conf_file_list_free(ConfFileList *l);
static inline void conf_file_list_freep(ConfFileList **l) {
        conf_file_list_free(*l);
}

/* Lists the policy files of the search path dirs (NULL: conf_files_search_path()), each dir taken
 * below root (NULL or "/": none), which tests use to build a fake /etc. A name found in an earlier
 * dir hides the same name in later ones. Missing dirs are fine; other I/O errors are returned. */
int conf_files_list(const char *root, char * const *dirs, ConfFileList **ret);

/* SRIOVD_CONFIG_PATH (colon separated) when set and not empty, else SRIOVD_POLICY_SEARCH_PATH. */
int conf_files_search_path(char ***ret);

/* Splits a colon separated list, dropping empty elements. */
int conf_files_split_path(const char *path, char ***ret);
