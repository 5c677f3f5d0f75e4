// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The `--help` texts, after mosquitto_pub's and mosquitto_sub's.
 *
 * @module
 */
import type { Command } from './cli-options.js';

const CONNECTION = ` -A : bind the outgoing socket to this host/ip address.
 -c : disable clean session/enable persistent client mode. Needs -i or -I. Sessions never
      expire unless -x says otherwise (MQTT v5).
 -d : enable debug messages (printed on stdout; passwords are never printed).
 -D : define an MQTT v5 property: -D command identifier value, or
      -D command user-property name value. Implies -V mqttv5. See docs/cli.md.
 -h : mqtt host to connect to. Defaults to localhost.
 -i : id to use for this client. Defaults to a random mqttkit_ id.
 -I : define the client id as id_prefix appended with the process id.
 -k : keep alive in seconds for this client. Defaults to 60; 0 turns it off.
 -L : specify user, password, hostname, port and topic as a URL in the form:
      scheme://[username[:password]@]host[:port]/topic, the scheme one of mqtt, mqtts,
      ws, wss (MQTT over WebSocket, to the path /mqtt), mqtt+srv, mqtts+srv (DNS SRV lookup),
      tcp, tls or ssl.
 -M : the maximum inflight messages for QoS 1/2.
 -p : network port to connect to. Defaults to 1883 for plain MQTT and 8883 for MQTT over TLS.
 -P : provide a password.
 -S : use DNS SRV lookups (_mqtt._tcp.<host>, _secure-mqtt._tcp.<host> with TLS) to find
      the brokers of the domain given with -h or -L. -p is then the port of the fallback
      to the domain itself when it has no SRV record.
 -u : provide a username.
 -V : specify the version of the MQTT protocol to use when connecting.
      Can be mqttv5, mqttv311, mqttv31 (or 5, 311, 31) or auto. Defaults to auto:
      MQTT v5, then v3.1.1, then v3.1 when the broker refuses the newer version.
 -x : set the session-expiry-interval property on the CONNECT packet (MQTT v5). 0-4294967294
      seconds, or -1, 4294967295 or ∞ for a session that does not expire.
 --help : display this message.
 --nodelay : accepted for compatibility; Nagle's algorithm is always disabled.
 --proxy : connect through a proxy given as a URL: socks5h://, socks5://, socks4a://, socks4://
           or http:// (HTTP CONNECT), as [username[:password]@]host[:port]. Default port 1080
           (80 for http).
 --quiet : don't print error messages.
 --unix : connect to a broker through a unix domain socket instead of a TCP socket.
 --will-payload : payload for the client Will. If not given and will-topic is set, a zero
                  length message will be sent.
 --will-qos : QoS level for the client Will.
 --will-retain : if given, make the client Will retained.
 --will-topic : the topic on which to publish the client Will.
 --cafile : path to a file containing trusted CA certificates to enable encrypted
            communication.
 --capath : path to a directory containing trusted CA certificates (*.crt, *.pem) to enable
            encrypted communication.
 --cert : client certificate for authentication, if required by server.
 --key : client private key for authentication, if required by server.
 --ciphers : openssl compatible list of TLS ciphers to support.
 --tls-alpn : TLS ALPN protocol to offer.
 --tls-version : TLS protocol version, can be one of tlsv1.3 tlsv1.2 or tlsv1.1.
 --tls-use-os-certs : trust the CA certificates built into Node.js (also with --cafile).
 --insecure : do not verify the server certificate at all (neither its chain nor its
              host name). Do not use this option in a production environment.
 --psk : pre-shared-key in hexadecimal (no leading 0x) to enable TLS-PSK mode.
 --psk-identity : client identity string for TLS-PSK mode.`;

const PUB = `mqttkit pub is a simple mqtt client that will publish a message on a single topic and exit.

Usage: mqttkit pub {[-h host] [--unix path] [-p port] [-u username] [-P password] -t topic | -L URL}
                   {-f file | -l | -n | -m message | -s}
                   [-c] [-k keepalive] [-q qos] [-r] [--repeat N] [--repeat-delay time] [-x session-expiry]
                   [-A bind_address] [-S] [-i id] [-I id_prefix] [-d] [--quiet] [-M max_inflight]
                   [-V protocol-version]
                   [--will-topic [--will-payload payload] [--will-qos qos] [--will-retain]]
                   [{--cafile file | --capath dir} [--cert file] [--key file]
                     [--ciphers ciphers] [--insecure] [--tls-alpn protocol] [--tls-version version]]
                     [--tls-use-os-certs]
                   [--psk hex-key --psk-identity identity]
                   [-D command identifier value]
                   [--proxy URL]
       mqttkit pub --help

 -f : send the contents of a file as the message.
 -l : read messages from stdin, sending a separate message for each line.
 -m : message payload to send.
 -n : send a null (zero length) message.
 -q : quality of service level to use for all messages. Defaults to 0.
 -r : message should be retained.
 -s : read message from stdin, sending the entire input as a message.
 -t : mqtt topic to publish to.
 --repeat : if publish mode is -f, -m, -n or -s, then repeat the publish N times.
 --repeat-delay : if using --repeat, wait time seconds between publishes. Defaults to 0.
${CONNECTION}

Exit status: 0 on success, 1 on error, the CONNACK code when the broker refuses the connection.
See docs/cli.md for more information.
`;

const SUB = `mqttkit sub is a simple mqtt client that will subscribe to a set of topics and print all messages it receives.

Usage: mqttkit sub {[-h host] [--unix path] [-p port] [-u username] [-P password] -t topic | -L URL [-t topic]}
                   [-c] [-k keepalive] [-q qos] [-x session-expiry-interval]
                   [-C msg_count] [-E] [-R] [--retained-only] [--remove-retained] [-T filter_out] [-U topic ...]
                   [-F format | --json [--pretty]]
                   [-W timeout_secs]
                   [-A bind_address] [-S] [-i id] [-I id_prefix] [-d] [-N] [--quiet] [-v]
                   [-V protocol-version] [--retain-as-published] [--random-filter chance]
                   [--will-topic [--will-payload payload] [--will-qos qos] [--will-retain]]
                   [{--cafile file | --capath dir} [--cert file] [--key file]
                     [--ciphers ciphers] [--insecure] [--tls-alpn protocol] [--tls-version version]]
                     [--tls-use-os-certs]
                   [--psk hex-key --psk-identity identity]
                   [-D command identifier value]
                   [--proxy URL]
       mqttkit sub --help

 -C : disconnect and exit after receiving the 'msg_count' messages.
 -E : exit once all subscriptions have been acknowledged by the broker.
 -F : output format (mosquitto_sub's %, @ and \\ sequences).
 -N : do not add an end of line character when printing the payload.
 -q : quality of service level to use for the subscription. Defaults to 0.
 -R : do not print stale messages (those with retain set).
 -t : mqtt topic to subscribe to. May be repeated multiple times.
 -T : topic string to filter out of results. May be repeated.
 -U : unsubscribe from a topic. May be repeated.
 -v : print published messages verbosely.
 -W : specifies a timeout in seconds how long to process incoming MQTT messages; exit code 27
      when it passes.
 --json : print one JSON object per line for each message: topic, payload (text when it is
          valid UTF-8, else base64 with "encoding":"base64"), qos, retain, properties.
 --pretty : print formatted output rather than minimised output for --json, %j and %J.
 --random-filter : only print a percentage of received messages (0.1 to 100).
 --retained-only : only handle messages with the retained flag set, and exit when the
                   first non-retained message is received.
 --remove-retained : send a message to the server to clear any received retained messages.
                     Use -T to filter out messages you do not want to be cleared.
 --retain-as-published : subscribe with the "retain as published" option (MQTT v5).
${CONNECTION}

Exit status: 0 on success, 27 when -W passes, 1 on error, the CONNACK code when the broker
refuses the connection.
See docs/cli.md for more information.
`;

const MAIN = `mqttkit - MQTT command-line client, after mosquitto_pub and mosquitto_sub.

Usage: mqttkit pub [options]   publish a message (mqttkit pub --help)
       mqttkit sub [options]   subscribe and print messages (mqttkit sub --help)
       mqttkit --help
       mqttkit --version
`;

/** The help text of a subcommand, or of `mqttkit` itself. */
export function helpText(command?: Command): string {
  if (command === 'pub') return PUB;
  if (command === 'sub') return SUB;
  return MAIN;
}
