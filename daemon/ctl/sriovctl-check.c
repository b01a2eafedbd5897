/* sriovctl check: validates policy files and prints every problem with file:line. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>

#include "sriovctl.h"
#include "sriovd/policy.h"

static json_object *diagnostic_json(const Diagnostic *d) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "file", json_object_new_string(d->file));
        json_object_object_add(o, "line", d->line > 0 ? json_object_new_int((int) d->line) : NULL);
        json_object_object_add(o, "level", json_object_new_string(diagnostic_level_to_string(d->level)));
        json_object_object_add(o, "message", json_object_new_string(d->message));
        return o;
}

static void print_diagnostics(const Diagnostics *d) {
        for (size_t i = 0; i < d->n_items; i++) {
                const Diagnostic *x = &d->items[i];
                const char *c = x->level == DIAGNOSTIC_ERROR ? ANSI_RED : ANSI_YELLOW;

                if (x->line > 0)
                        printf("%s:%u: %s%s%s: %s\n", x->file, x->line, ctl_color(c),
                               diagnostic_level_to_string(x->level), ctl_color(ANSI_RESET), x->message);
                else
                        printf("%s: %s%s%s: %s\n", x->file, ctl_color(c),
                               diagnostic_level_to_string(x->level), ctl_color(ANSI_RESET), x->message);
        }
}

static int exit_status(const Diagnostics *d) {
        return d->n_errors > 0 || (arg.strict && d->n_warnings > 0) ? EXIT_FAILURE_ : EXIT_OK;
}

static const char *plural(size_t n, const char *one, const char *many) {
        return n == 1 ? one : many;
}

/* Files named on the command line are checked as they are, without drop-ins. */
static int check_files(int argc, char **argv) {
        Diagnostics d = {};
        json_object *files = arg.json ? json_object_new_array() : NULL;
        size_t n_rejected = 0;
        int r;

        for (int i = 0; i < argc; i++) {
                _cleanup_free_ char *copy = strdup(argv[i]);
                ConfFile f = { .path = argv[i] };
                Policy *p = NULL;

                if (!copy)
                        return EXIT_FAILURE_;
                f.name = basename(copy);
                r = policy_load(&f, &p, &d);
                if (r == -ENOMEM) {
                        fprintf(stderr, "sriovctl: out of memory\n");
                        return EXIT_FAILURE_;
                }
                n_rejected += r < 0;
                if (files) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "path", json_object_new_string(argv[i]));
                        json_object_object_add(o, "status", json_object_new_string(r < 0 ? "rejected" : "valid"));
                        json_object_array_add(files, o);
                }
                policy_free(p);
        }

        if (arg.json) {
                json_object *o = json_object_new_object(), *diags = json_object_new_array();

                for (size_t i = 0; i < d.n_items; i++)
                        json_object_array_add(diags, diagnostic_json(&d.items[i]));
                json_object_object_add(o, "files", files);
                json_object_object_add(o, "diagnostics", diags);
                json_object_object_add(o, "errors", json_object_new_int((int) d.n_errors));
                json_object_object_add(o, "warnings", json_object_new_int((int) d.n_warnings));
                (void) ctl_json_print(o);
        } else {
                print_diagnostics(&d);
                if (arg.legend)
                        printf("%d %s checked: %zu valid, %zu rejected (%zu %s, %zu %s).\n",
                               argc, plural((size_t) argc, "file", "files"), (size_t) argc - n_rejected, n_rejected,
                               d.n_errors, plural(d.n_errors, "error", "errors"),
                               d.n_warnings, plural(d.n_warnings, "warning", "warnings"));
        }
        r = exit_status(&d);
        diagnostics_clear(&d);
        return r;
}

int verb_check(int argc, char **argv) {
        _cleanup_(policy_set_unrefp) PolicySet *s = NULL;
        const ConfFileList *files;
        int r;

        if (argc > 0)
                return check_files(argc, argv);

        r = policy_set_load(arg.root, arg.config_path, &s);
        if (r < 0) {
                fprintf(stderr, "sriovctl: cannot list the policy files: %s\n", strerror(-r));
                return EXIT_FAILURE_;
        }
        files = s->files;

        if (arg.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array(), *diags = json_object_new_array();

                for (size_t i = 0; i < files->n_files; i++) {
                        const ConfFile *f = &files->files[i];
                        json_object *x = json_object_new_object();
                        const char *status = f->masked ? "masked" : strv_contains(s->rejected, f->path) ? "rejected" : "valid";

                        json_object_object_add(x, "name", json_object_new_string(f->name));
                        json_object_object_add(x, "path", json_object_new_string(f->path));
                        json_object_object_add(x, "dropins", ctl_json_strv(f->dropins));
                        json_object_object_add(x, "status", json_object_new_string(status));
                        json_object_array_add(a, x);
                }
                for (size_t i = 0; i < s->diagnostics.n_items; i++)
                        json_object_array_add(diags, diagnostic_json(&s->diagnostics.items[i]));
                json_object_object_add(o, "files", a);
                json_object_object_add(o, "diagnostics", diags);
                json_object_object_add(o, "errors", json_object_new_int((int) s->diagnostics.n_errors));
                json_object_object_add(o, "warnings", json_object_new_int((int) s->diagnostics.n_warnings));
                (void) ctl_json_print(o);
                return exit_status(&s->diagnostics);
        }

        print_diagnostics(&s->diagnostics);
        if (arg.legend) {
                size_t n_masked = 0, n_rejected = strv_length(s->rejected);

                for (size_t i = 0; i < files->n_files; i++)
                        n_masked += files->files[i].masked;

                if (files->n_files == 0)
                        printf("No policy files found; sriovd leaves every PF alone.\n");
                else
                        printf("%zu policy %s: %zu valid, %zu rejected, %zu masked (%zu %s, %zu %s).\n",
                               files->n_files, plural(files->n_files, "file", "files"),
                               s->n_policies, n_rejected, n_masked,
                               s->diagnostics.n_errors, plural(s->diagnostics.n_errors, "error", "errors"),
                               s->diagnostics.n_warnings, plural(s->diagnostics.n_warnings, "warning", "warnings"));
        }
        return exit_status(&s->diagnostics);
}
