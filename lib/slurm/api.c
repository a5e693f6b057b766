/*
 * api.c -- choosing the Slurm backend (see api.h).
 */
#include "slurm/api.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int slurm_state_is_final(const char *s)
{
    static const char *live[] = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED",
                                 "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING",
                                 "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", NULL};
    for (int i = 0; live[i]; i++)
        if (strcmp(s, live[i]) == 0) return 0;
    return 1;
}

int slurm_api(const hpo_slurm_api **out)
{
    /* libslurm (which the commands use too) retries for a minute and then
     * exits the process when it finds no configuration: say so at once. */
    const char *conf = getenv("SLURM_CONF");
    if (conf && *conf) {
        if (!path_exists(conf))
            return hpo_error(HPO_ENOTFOUND, "SLURM_CONF=%s: no such file; is this a Slurm cluster?", conf);
    } else if (!path_exists("/etc/slurm/slurm.conf") && !path_exists("/etc/slurm-llnl/slurm.conf") &&
               !path_exists("/run/slurm/conf/slurm.conf")) {
        return hpo_error(HPO_ENOTFOUND, "no Slurm configuration found (SLURM_CONF unset, no "
                         "/etc/slurm/slurm.conf): run on a Slurm cluster, or use hpo run");
    }
    const char *want = getenv("HPO_SLURM_API");
#ifdef HPO_HAVE_LIBSLURM
    if (!want || !*want || strcmp(want, "libslurm") == 0) {
        *out = &slurm_api_libslurm;
        return 0;
    }
#endif
    if (want && *want && strcmp(want, "cli") != 0)
        return hpo_error(HPO_ERROR, "HPO_SLURM_API=%s: expected cli%s", want,
#ifdef HPO_HAVE_LIBSLURM
                         " or libslurm"
#else
                         " (this hpo was built without libslurm)"
#endif
        );
    *out = &slurm_api_cli;
    return 0;
}
