/* Temporary directory trees for tests that need files: policy dirs, fake /etc. */
#pragma once

/* A new directory under $TMPDIR (or /tmp); fails the test when it cannot be made. */
char *tmptree_new(void);
/* Writes root/relative, creating the directories on the way. */
void tmptree_write(const char *root, const char *relative, const char *content);
/* root/relative becomes a symlink to target. */
void tmptree_symlink(const char *root, const char *relative, const char *target);
/* Removes the tree and frees root. */
void tmptree_free(char *root);
