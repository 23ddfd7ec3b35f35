/*
 * A compartment started by the supervisor.
 *
 * The supervisor starts each compartment with one descriptor beyond
 * stdio: SN_CONTROL_FD, a SOCK_SEQPACKET socket to the supervisor.
 * Standard output and error are a pipe the supervisor reads.  The
 * compartment is pid 1 of its own pid namespace, so a signal it has no
 * handler for is ignored; the runtime handles SIGTERM, the supervisor's
 * request to stop.  The first message on the
 * control socket is compartment_boot: the compartment's name and, for each
 * peer the image joins it to, the channel's descriptors, which of our
 * exports the peer may call and which static capabilities it holds.  The
 * runtime applies all of it.  The compartment's handlers are those its
 * SEALNET_EXPORT declarations name (sealnet/compartment.h):
 *
 *	int main(void)
 *	{
 *		static struct sn_compartment c;
 *		if (sn_compartment_boot(&c, &state) < 0)
 *			return 1;
 *		return sn_compartment_run(&c);
 *	}
 *
 * That is how the stack's compartments start.  An application calls
 * sealnet_start() (sealnet/start.h) instead, which boots a compartment
 * the SDK keeps.
 */
#ifndef SEALNET_BOOT_H
#define SEALNET_BOOT_H

#include "call.h"

#define SN_CONTROL_FD 3
/* Files a boot message may carry (trust anchors, and a certificate chain
 * and a key for each client identity; MQTT credentials), and the longest
 * name of one. */
#define SN_MAX_BOOT_FILES     25u
#define SN_BOOT_FILE_NAME_MAX 64u
/* Descriptors a control message may carry: three per peer's channel, the
 * files, and last the shared time record's. */
#define SN_MAX_CONTROL_FDS (3u * SN_MAX_PEERS + SN_MAX_BOOT_FILES + 1u)
/* The network device, in the one compartment the image lets hold it. */
#define SN_DEVICE_FD 6

/* Reads and applies the boot message, serving the exports this binary
 * declares, then tells the supervisor we are ready.  ctx is given to every
 * handler.  Returns 0 or a negative errno; reasons go to the log. */
int sn_compartment_boot(struct sn_compartment *c, void *ctx);

/* The peer that implements export_id: the compartment the schema's
 * rpc_service names for it, or NULL if the image joins us to none. */
struct sn_peer *sn_export_peer(struct sn_compartment *c, uint16_t export_id);

/* The compartment that booted in this process, or NULL. */
struct sn_compartment *sn_compartment_self(void);

/* The peer the image calls `name`, or NULL. */
struct sn_peer *sn_compartment_peer(struct sn_compartment *c, const char *name);

/* Serves until the supervisor goes away. */
int sn_compartment_run(struct sn_compartment *c);

/* The stack's Ethernet address from the boot message; false if none. */
bool sn_compartment_hardware_address(uint8_t out[6]);

/* Whether the network device's offloads are on (schema Boot): its frames
 * carry a virtio-net header, and TCP may be segmented by it. */
bool sn_compartment_device_offloads(void);

/* The image's network configuration; a field's family is 0 when the image
 * leaves it to DHCP. */
struct sn_network_config {
	uint8_t ipv4[4], gateway[4];
	uint8_t prefix_length;
	bool static_ipv4;
	uint8_t dns[16];
	uint8_t dns_family; /* SN_ADDRESS_FAMILY_*, 0 for none */
};
void sn_compartment_network_config(struct sn_network_config *out);

/*
 * Takes the file the boot message carried under `name`: *fd, a sealed
 * memfd the caller now owns, and in sha256 the hash the supervisor
 * checked its bytes against.  Returns 0, -ENOENT (no such file, or taken
 * already) or -EINVAL (it came without a hash).
 */
int sn_compartment_take_file(const char *name, int *fd, uint8_t sha256[32]);
/* The names of the files not taken yet, up to max; how many. */
unsigned sn_compartment_file_names(const char *names[], unsigned max);

/* The connection capabilities the image grants this compartment, as
 * its peers are told it holds them: *out points at them, the count is
 * returned. */
unsigned sn_compartment_connections(const struct sn_capability **out);

/* The incarnation the supervisor gave us: 1, then one more per restart. */
uint32_t sn_compartment_incarnation(void);

/*
 * Handles one control message, as received: verified, then applied.
 * fds are the descriptors that came with it; the function takes them.
 * Exposed for the fuzz target.
 */
int sn_control_message(struct sn_compartment *c, const uint8_t *msg, size_t len,
		       const int *fds, unsigned nfds);

#endif
