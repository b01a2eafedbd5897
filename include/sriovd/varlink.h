/* The varlink protocol's messages (https://varlink.org): requests parsed and checked, replies and errors built. No I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* Nesting a request may have; deeper ones are refused before they cost anything. */
#define VARLINK_DEPTH_MAX 32

#define VARLINK_ERROR_INTERFACE_NOT_FOUND "org.varlink.service.InterfaceNotFound"
#define VARLINK_ERROR_METHOD_NOT_FOUND "org.varlink.service.MethodNotFound"
#define VARLINK_ERROR_METHOD_NOT_IMPLEMENTED "org.varlink.service.MethodNotImplemented"
#define VARLINK_ERROR_INVALID_PARAMETER "org.varlink.service.InvalidParameter"
#define VARLINK_ERROR_PERMISSION_DENIED "org.varlink.service.PermissionDenied"

typedef struct VarlinkRequest {
        char *method;                   /* "org.varlink.service.GetInfo" */
        const char *member;             /* in method, after the interface: "GetInfo" */
        char *interface;                /* "org.varlink.service" */
        json_object *parameters;        /* an object; {} when the call has none */
        bool more;                      /* the client takes several replies */
        bool oneway;                    /* the client takes none */
} VarlinkRequest;

void varlink_request_clear(VarlinkRequest *r);

/* "org.varlink.service": reverse-domain words of letters, digits and inner dashes, two at least. */
bool varlink_interface_name_is_valid(const char *s);
/* "GetInfo": a capital letter, then letters and digits. */
bool varlink_member_name_is_valid(const char *s);

/* Parses one message, without its terminating NUL. -EBADMSG when it is not a JSON object, a field
 * has the wrong type, or the method is not "INTERFACE.Member"; -ENOMEM. */
int varlink_request_parse(const char *text, size_t size, VarlinkRequest *ret);

/* A reply carrying parameters (NULL: {}), or an error with its parameters (NULL: {}): the JSON text
 * and its terminating NUL, *ret_size counting the NUL. Neither takes the parameters' reference. */
int varlink_format_reply(json_object *parameters, bool continues, char **ret, size_t *ret_size);
int varlink_format_error(const char *error, json_object *parameters, char **ret, size_t *ret_size);
