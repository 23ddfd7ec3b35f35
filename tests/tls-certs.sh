# shellcheck shell=bash
# Certificates for the TLS tests, the demo and the benchmark, made with the
# openssl command at run time: nothing private is kept in the tree.
# P-256 keys; `openssl ca`, so that a certificate's dates can lie in the
# past or the future.  Source this file, then:
#
#   tls_ca DIR NAME [DAYS]       DIR/NAME.pem and DIR/NAME.key, a CA valid
#                                from now for DAYS (default 2)
#   tls_cert DIR CA NAME SUBJECT_ALT_NAME [START END]
#                                DIR/NAME.pem for DIR/server.key (made on
#                                first use), issued by CA, valid from
#                                START to END (openssl's YYMMDDHHMMSSZ;
#                                default: from an hour ago, for a day)
#   tls_client DIR CA NAME CN    DIR/NAME.pem and DIR/NAME.key, a client
#                                certificate
#   tls_certs_make DIR           everything tests/tls-test.sh uses

tls_ca() { # DIR NAME [DAYS]
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1/$2.key" -out "$1/$2.pem" -days "${3:-2}" \
		-subj "/CN=sealnet test CA $2" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# openssl ca's own state, one per CA.
tls_ca_config() { # DIR CA
	local d=$1/$2.db
	mkdir -p "$d/new" && : >"$d/index.txt" && [ -e "$d/serial" ] ||
		echo 1000 >"$d/serial"
	cat >"$d/ca.cnf" <<EOC
[ca]
default_ca = this
[this]
database = $d/index.txt
new_certs_dir = $d/new
serial = $d/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
email_in_dn = no
[anything]
commonName = supplied
EOC
}

tls_sign() { # DIR CA CSR OUT START END EXT
	tls_ca_config "$1" "$2" &&
		openssl ca -batch -notext -config "$1/$2.db/ca.cnf" \
			-cert "$1/$2.pem" -keyfile "$1/$2.key" -in "$3" -out "$4" \
			-startdate "$5" -enddate "$6" -extfile "$7" 2>/dev/null
}

tls_date() { date -u -d "$1" +%y%m%d%H%M%SZ; }

tls_cert() { # DIR CA NAME SUBJECT_ALT_NAME [START END]
	local dir=$1 ca=$2 name=$3 san=$4
	local start=${5:-$(tls_date '-1 hour')} end=${6:-$(tls_date '+1 day')}
	[ -e "$dir/server.key" ] ||
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$dir/server.key" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >"$dir/$name.ext"
	openssl req -new -key "$dir/server.key" -subj "/CN=$name" \
		-out "$dir/$name.csr" 2>/dev/null &&
		tls_sign "$dir" "$ca" "$dir/$name.csr" "$dir/$name.pem" "$start" "$end" \
			"$dir/$name.ext"
}

tls_client() { # DIR CA NAME CN
	local dir=$1
	printf 'extendedKeyUsage=clientAuth\n' >"$dir/$3.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/$3.key" -subj "/CN=$4" -out "$dir/$3.csr" 2>/dev/null &&
		tls_sign "$dir" "$2" "$dir/$3.csr" "$dir/$3.pem" \
			"$(tls_date '-1 hour')" "$(tls_date '+1 day')" "$dir/$3.ext"
}

tls_certs_make() { # DIR
	local d=$1 n
	mkdir -p "$d" && chmod 700 "$d" || return 1
	tls_ca "$d" ca && tls_ca "$d" unknown-ca || return 1
	for n in v13 v12 www mtls sink; do
		tls_cert "$d" ca "$n" "DNS:$n.test" || return 1
	done
	tls_cert "$d" ca wrong DNS:other.test &&
		tls_cert "$d" ca expired DNS:expired.test \
			"$(tls_date '-30 days')" "$(tls_date '-1 day')" &&
		tls_cert "$d" ca notyet DNS:notyet.test \
			"$(tls_date '+1 day')" "$(tls_date '+30 days')" &&
		tls_cert "$d" unknown-ca unknown DNS:unknown.test || return 1
	openssl req -x509 -key "$d/server.key" -out "$d/selfsigned.pem" -days 1 \
		-subj "/CN=selfsigned.test" \
		-addext subjectAltName=DNS:selfsigned.test 2>/dev/null &&
		tls_client "$d" ca client "tls_test device"
}
