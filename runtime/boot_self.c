/* The boot message's part about the compartment itself: see
 * boot_self.h. */
#include "boot_self.h"

#include <errno.h>
#include <string.h>

#include "boot.h"
#include "time_record.h"

/* The connection capabilities the image grants this compartment. */
static struct sn_capability own_connections[SN_MAX_HELD_CAPABILITIES];
static unsigned nown_connections;

int
sn_boot_copy_text(char *dst, size_t cap, const char *s, uint32_t len)
{
	if (s == NULL || len == 0 || len >= cap || memchr(s, 0, len))
		return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = 0;
	return 0;
}

int
sn_boot_connection_of(sn_connection_capability_ref r, struct sn_capability *cap)
{
	uint32_t len, id_len = 0;
	const char *host = sn_connection_capability_host(r, &len);
	const char *id = sn_connection_capability_identity(r, &id_len);
	sn_mqtt_grant_ref mqtt = sn_connection_capability_mqtt(r);

	*cap = (struct sn_capability){
	    .kind = SN_CAPABILITY_CONNECTION,
	    .protocol = sn_connection_capability_protocol(r),
	    .port = sn_connection_capability_port(r),
	};
	if (id != NULL &&
	    sn_boot_copy_text(cap->identity, sizeof(cap->identity), id,
			      id_len) < 0)
		return -EINVAL;
	/* A broker's capability carries what its holder may do there. */
	if (mqtt.pos != 0 && sn_capability_mqtt_read(cap, mqtt) < 0)
		return -EINVAL;
	return sn_boot_copy_text(cap->host, sizeof(cap->host), host, len);
}

unsigned
sn_compartment_connections(const struct sn_capability **out)
{
	*out = own_connections;
	return nown_connections;
}

unsigned
sn_boot_time_record_fds(sn_boot_ref boot)
{
	return sn_boot_time_record(boot) != SN_TIME_RECORD_ACCESS_NONE;
}

int
sn_boot_take_self(sn_boot_ref boot, int *fds, unsigned nfds)
{
	uint32_t n = sn_boot_connections_count(boot);
	int rc;

	if (n > SN_MAX_HELD_CAPABILITIES)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (sn_boot_connection_of(sn_boot_connections_at(boot, i),
					  &own_connections[i]) < 0)
			return -EINVAL;
	nown_connections = n;
	if (sn_boot_time_record_fds(boot) == 0)
		return 0;
	if (nfds == 0)
		return -EINVAL;
	rc = sn_time_record_attach(fds[nfds - 1], sn_boot_time_record(boot));
	fds[nfds - 1] = -1;
	return rc;
}
