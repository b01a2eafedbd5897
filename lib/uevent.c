/* Classifies PCI uevents: tracked PF, new PF, VF of a PF (by its physfn link), or nothing of sriovd's. */
#include <string.h>

#include "sriovd/macro.h"
#include "sriovd/uevent.h"

static bool is_removal(const UeventFacts *f) {
        return streq_ptr(f->action, "remove");
}

static bool is_rebinding(const UeventFacts *f) {
        return streq_ptr(f->action, "bind") || streq_ptr(f->action, "unbind");
}

bool uevent_needs_totalvfs(const UeventFacts *f) {
        return pci_address_is_valid(f->sysname) && !f->known_pf && !is_removal(f);
}

bool uevent_needs_physfn(const UeventFacts *f) {
        return uevent_needs_totalvfs(f) && !f->has_totalvfs;
}

UeventMeaning uevent_classify(const UeventFacts *f, char ret_pf[static PCI_ADDRESS_MAX]) {
        const char *base;

        if (!f->action || !pci_address_is_valid(f->sysname))
                return UEVENT_IGNORE;
        if (f->known_pf) {
                if (is_removal(f))
                        return UEVENT_PF_GONE;
                return is_rebinding(f) ? UEVENT_PF_REBOUND : UEVENT_PF_CHANGED;
        }
        if (is_removal(f))
                return UEVENT_VF_GONE;
        if (f->has_totalvfs)
                return UEVENT_PF_NEW;
        if (!f->physfn)
                return UEVENT_IGNORE;
        /* "../0000:3b:00.0": the PF is the last component, and must be an address itself */
        base = strrchr(f->physfn, '/');
        base = base ? base + 1 : f->physfn;
        if (!pci_address_is_valid(base))
                return UEVENT_IGNORE;
        memcpy(ret_pf, base, PCI_ADDRESS_MAX);
        return streq(f->action, "add") || is_rebinding(f) ? UEVENT_VF_REBOUND : UEVENT_VF_SEEN;
}
