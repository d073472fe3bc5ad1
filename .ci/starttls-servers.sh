#!/usr/bin/env bash
# Installs the real servers the STARTTLS integration tests (tests/it/starttls/) start on loopback:
# postfix (SMTP), dovecot (IMAP, POP3), vsftpd (FTP), slapd (LDAP), PostgreSQL, MariaDB and
# prosody (XMPP). Idempotent: installs only what is missing. Services are not started (policy-rc.d
# answers 101 while apt runs; the tests start their own instances in temporary directories).
set -euo pipefail

need=()
[ -x /usr/lib/postfix/sbin/master ] || need+=(postfix)
[ -x /usr/sbin/dovecot ] && [ -e /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ -e /usr/lib/dovecot/pop3 ] || need+=(dovecot-pop3d)
[ -x /usr/sbin/vsftpd ] || need+=(vsftpd)
[ -x /usr/sbin/slapd ] || need+=(slapd)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
[ -x /usr/sbin/mariadbd ] && [ -x /usr/bin/mariadb-install-db ] || need+=(mariadb-server)
[ -x /usr/bin/prosody ] || need+=(prosody)

if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
    [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi

echo "STARTTLS servers installed:"
for tool in /usr/lib/postfix/sbin/master /usr/sbin/dovecot /usr/sbin/vsftpd /usr/sbin/slapd \
    /usr/sbin/mariadbd /usr/bin/mariadb-install-db /usr/bin/prosody; do
    printf '  %-32s %s\n' "$tool" "$([ -x "$tool" ] && echo ok || echo MISSING)"
done
printf '  %-32s %s\n' "postgresql" "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1 || echo MISSING)"
