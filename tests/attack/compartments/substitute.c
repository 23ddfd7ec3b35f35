/*
 * Not a compartment: the bytes the test writes over another
 * compartment's binary while sealnet runs.  If an incarnation ever runs
 * them, it says so.
 */
#include <unistd.h>

int
main(void)
{
	static const char said[] = "SUBSTITUTE RAN: these bytes were never "
				   "hashed\n";

	return write(2, said, sizeof(said) - 1) < 0;
}
