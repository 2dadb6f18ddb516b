/* lws_echo.c - a minimal libwebsockets echo server, one of the peers `bench/run`
 * measures wsx against. Listens on 127.0.0.1:PORT and sends every text or binary
 * message back as it came (same type). Each connection keeps a small ring of
 * pending messages (pipelined clients) and writes only from
 * LWS_CALLBACK_SERVER_WRITEABLE, one lws_write per callback, as lws requires.
 *
 * Build: cc -O2 bench/peers/lws_echo.c $(pkg-config --cflags --libs libwebsockets) -o lws_echo
 * Run:   lws_echo PORT */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSG (64 * 1024) /* larger messages are refused with 1009 */
#define RING 16             /* pending messages per connection before rx stops */

/* One pending message. Its buffer is allocated the first time the slot is used
 * and kept (grown when needed) until the connection closes, so a busy connection
 * does not malloc per message and an idle one costs nothing. */
struct slot {
    unsigned char *buf; /* LWS_PRE bytes of headroom, then the payload */
    size_t len, cap;
    int binary;
};

struct session {
    struct slot *ring; /* RING slots, allocated on the first message */
    unsigned head;     /* oldest pending message, written next */
    unsigned count;    /* complete messages waiting to be written */
    size_t rx_len;     /* bytes of the message being received (slot head+count) */
    int rx_stopped;    /* rx flow control is off because the ring is full */
};

static volatile sig_atomic_t interrupted;
static struct lws_context *context;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    if (context)
        lws_cancel_service(context);
}

static int slot_reserve(struct slot *s, size_t need)
{
    if (s->cap >= need)
        return 0;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < need)
        cap *= 2;
    unsigned char *b = realloc(s->buf, LWS_PRE + cap);
    if (!b)
        return -1;
    s->buf = b;
    s->cap = cap;
    return 0;
}

static int on_receive(struct lws *wsi, struct session *ss, const void *in, size_t len)
{
    if (!ss->ring) {
        ss->ring = calloc(RING, sizeof *ss->ring);
        if (!ss->ring)
            return -1;
    }
    /* rx is stopped as soon as the ring fills, so this does not happen */
    if (ss->count == RING) {
        fprintf(stderr, "lws_echo: message arrived with rx flow control off\n");
        return -1;
    }
    struct slot *s = &ss->ring[(ss->head + ss->count) % RING];
    if (lws_is_first_fragment(wsi)) {
        ss->rx_len = 0;
        s->binary = lws_frame_is_binary(wsi);
    }
    if (ss->rx_len + len > MAX_MSG) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    if (slot_reserve(s, ss->rx_len + len) < 0)
        return -1;
    memcpy(s->buf + LWS_PRE + ss->rx_len, in, len);
    ss->rx_len += len;
    /* A message is complete at the end of the last fragment of the frame that
     * carries FIN; lws may hand one frame over in several pieces. */
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    s->len = ss->rx_len;
    ss->rx_len = 0;
    if (ss->count++ == 0)
        lws_callback_on_writable(wsi);
    if (ss->count == RING) {
        lws_rx_flow_control(wsi, 0);
        ss->rx_stopped = 1;
    }
    return 0;
}

static int on_writeable(struct lws *wsi, struct session *ss)
{
    if (!ss->count)
        return 0;
    struct slot *s = &ss->ring[ss->head];
    int n = lws_write(wsi, s->buf + LWS_PRE, s->len, s->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (n < (int)s->len)
        return -1;
    ss->head = (ss->head + 1) % RING;
    ss->count--;
    if (ss->rx_stopped) {
        ss->rx_stopped = 0;
        lws_rx_flow_control(wsi, 1);
    }
    if (ss->count)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    struct session *ss = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(ss, 0, sizeof *ss);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return on_receive(wsi, ss, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(wsi, ss);
    case LWS_CALLBACK_CLOSED:
        if (ss->ring) {
            for (unsigned i = 0; i < RING; i++)
                free(ss->ring[i].buf);
            free(ss->ring);
            ss->ring = NULL;
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    /* The first protocol is the one used when the client asks for none. rx
     * arrives in 4 KiB pieces (lws's default buffer, allocated per connection);
     * tx_packet_size lets a whole echoed frame go out in one send(). */
    {"echo", callback_echo, sizeof(struct session), 4096, 0, NULL, MAX_MSG + 16},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int main(int argc, char **argv)
{
    if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = atoi(argv[1]);
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    /* Validate UTF-8 in text messages, as the other servers measured do. */
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;

    context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "lws_echo: cannot create the context (port %s in use?)\n", argv[1]);
        return 1;
    }
    printf("lws_echo: listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    while (!interrupted)
        if (lws_service(context, 0) < 0)
            break;
    lws_context_destroy(context);
    return 0;
}
