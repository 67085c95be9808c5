// SPDX-License-Identifier: GPL-2.0
/*
 * gobgp.c - the GoBGP API calls, mapped to and from protobuf-c messages.
 *
 * Requests are built on the stack from the generated structs, packed, and
 * handed to the transport (transport.c) as bytes; replies come back as
 * bytes and are unpacked here.  Path attributes and NLRIs travel as
 * google.protobuf.Any whose type_url is "type.googleapis.com/" followed
 * by the message's full name, which protobuf-c keeps in descriptor->name.
 *
 * Received paths are decoded defensively: gobgpd may send attributes we
 * do not know (ignored), and anything we cannot make sense of marks that
 * one path with an error instead of failing the call or the stream.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gobgp.pb-c.h"
#include "attribute.pb-c.h"
#include "gobgp-int.h"

#define METHOD(name)	"/apipb.GobgpApi/" #name
#define TYPE_URL_PREFIX	"type.googleapis.com/"

/* ---------------------------------------------------------- helpers */

static bool valid_addr(const char *s)
{
	struct in6_addr a;

	return s && (inet_pton(AF_INET, s, &a) == 1 ||
		     inet_pton(AF_INET6, s, &a) == 1);
}

/* An Any holding a packed message; release with any_free(). */
struct any {
	Google__Protobuf__Any pb;
	char url[96];
	uint8_t *buf;
};

static int any_pack(struct any *a, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);

	google__protobuf__any__init(&a->pb);
	a->buf = malloc(len ? len : 1);
	if (!a->buf)
		return -ENOMEM;
	protobuf_c_message_pack(m, a->buf);
	snprintf(a->url, sizeof(a->url), TYPE_URL_PREFIX "%s",
		 m->descriptor->name);
	a->pb.type_url = a->url;
	a->pb.value.data = a->buf;
	a->pb.value.len = len;
	return 0;
}

static void any_free(struct any *a)
{
	free(a->buf);
	a->buf = NULL;
}

/* Does @a hold a message of type @d?  Any prefix before the '/' goes. */
static bool any_is(const Google__Protobuf__Any *a,
		   const ProtobufCMessageDescriptor *d)
{
	const char *name;

	if (!a || !a->type_url)
		return false;
	name = strrchr(a->type_url, '/');
	return !strcmp(name ? name + 1 : a->type_url, d->name);
}

static void *any_unpack(const Google__Protobuf__Any *a,
			const ProtobufCMessageDescriptor *d)
{
	return protobuf_c_message_unpack(d, NULL, a->value.len,
					 a->value.data);
}

/* ------------------------------------------------------------- calls */

struct reply {
	struct gbgp *g;
	const char *method;
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *msg;
};

static int reply_msg(const uint8_t *buf, size_t len, void *arg)
{
	struct reply *r = arg;

	if (!r->desc)
		return 0;		/* google.protobuf.Empty */
	if (r->msg)
		return gbgp_seterr(r->g, -EPROTO, "%s: more than one reply",
				   gbgp_method_name(r->method));
	r->msg = protobuf_c_message_unpack(r->desc, NULL, len, buf);
	if (!r->msg)
		return gbgp_seterr(r->g, -EBADMSG, "%s: undecodable reply",
				   gbgp_method_name(r->method));
	return 0;
}

/* Pack @req and call @method, passing each reply message to @fn. */
static int call_msg(struct gbgp *g, const char *method,
		    const ProtobufCMessage *req, gbgp_msg_fn fn, void *arg)
{
	size_t len = protobuf_c_message_get_packed_size(req);
	uint8_t stack[512], *buf = stack;
	int ret;

	if (len > sizeof(stack)) {
		buf = malloc(len);
		if (!buf)
			return gbgp_seterr(g, -ENOMEM, "%s: out of memory",
					   gbgp_method_name(method));
	}
	protobuf_c_message_pack(req, buf);
	ret = gbgp_call(g, method, buf, len, fn, arg);
	if (buf != stack)
		free(buf);
	return ret;
}

/*
 * A unary call.  The reply, of type @desc (NULL for google.protobuf.Empty),
 * is left in @out for the caller to free, or dropped if @out is NULL.
 */
static int unary(struct gbgp *g, const char *method,
		 const ProtobufCMessage *req,
		 const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
	struct reply r = { g, method, desc, NULL };
	int ret;

	ret = call_msg(g, method, req, reply_msg, &r);
	if (!ret && desc && !r.msg)
		ret = gbgp_seterr(g, -EPROTO, "%s: no reply",
				  gbgp_method_name(method));
	if (ret || !out) {
		if (r.msg)
			protobuf_c_message_free_unpacked(r.msg, NULL);
		return ret;
	}
	*out = r.msg;
	return 0;
}

/* --------------------------------------------------------- handle */

struct gbgp *gbgp_open(const char *target)
{
	struct gbgp *g;
	int err;

	if (!target) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->efd = -1;
	g->timeout_ms = GBGP_DEFAULT_TIMEOUT_MS;
	err = gbgp_transport_open(g, target);
	if (err) {
		free(g);
		errno = -err;
		return NULL;
	}
	return g;
}

void gbgp_close(struct gbgp *g)
{
	if (!g)
		return;
	gbgp_watch_stop(g);
	gbgp_transport_close(g);
	if (g->efd >= 0)
		close(g->efd);
	free(g);
}

const char *gbgp_strerror(const struct gbgp *g)
{
	return g->err;
}

void gbgp_set_timeout(struct gbgp *g, unsigned int ms)
{
	g->timeout_ms = ms ? ms : GBGP_DEFAULT_TIMEOUT_MS;
}

/* ------------------------------------------------------- instance */

int gbgp_start_bgp(struct gbgp *g, uint32_t asn, const char *router_id,
		   const char *listen_addr, int32_t listen_port)
{
	Apipb__StartBgpRequest req = APIPB__START_BGP_REQUEST__INIT;
	Apipb__Global gl = APIPB__GLOBAL__INIT;
	char *addrs[1];
	struct in_addr a;

	if (!asn)
		return gbgp_seterr(g, -EINVAL, "StartBgp: AS 0");
	if (!router_id || inet_pton(AF_INET, router_id, &a) != 1)
		return gbgp_seterr(g, -EINVAL,
				   "StartBgp: router id %s is not IPv4",
				   router_id ? router_id : "(null)");
	if (listen_addr && !valid_addr(listen_addr))
		return gbgp_seterr(g, -EINVAL,
				   "StartBgp: bad listen address %s",
				   listen_addr);
	if (listen_port < -1 || listen_port > 65535)
		return gbgp_seterr(g, -EINVAL, "StartBgp: bad port %d",
				   listen_port);

	gl.asn = asn;
	gl.router_id = (char *)router_id;
	gl.listen_port = listen_port;
	if (listen_addr) {
		addrs[0] = (char *)listen_addr;
		gl.n_listen_addresses = 1;
		gl.listen_addresses = addrs;
	}
	req.global = &gl;
	return unary(g, METHOD(StartBgp), &req.base, NULL, NULL);
}

int gbgp_get_bgp(struct gbgp *g, uint32_t *asn, char *router_id, size_t len)
{
	Apipb__GetBgpRequest req = APIPB__GET_BGP_REQUEST__INIT;
	Apipb__GetBgpResponse *rsp;
	int ret;

	ret = unary(g, METHOD(GetBgp), &req.base,
		    &apipb__get_bgp_response__descriptor,
		    (ProtobufCMessage **)&rsp);
	if (ret)
		return ret;
	if (!rsp->global) {
		ret = gbgp_seterr(g, -EPROTO, "GetBgp: no global section");
	} else {
		if (asn)
			*asn = rsp->global->asn;
		if (router_id && len &&
		    snprintf(router_id, len, "%s", rsp->global->router_id) >=
		    (int)len)
			ret = gbgp_seterr(g, -ENOSPC,
					  "GetBgp: router id too long");
	}
	protobuf_c_message_free_unpacked(&rsp->base, NULL);
	return ret;
}

/* ------------------------------------------------------------ peers */

int gbgp_add_peer(struct gbgp *g, const struct gbgp_peer *p)
{
	Apipb__AddPeerRequest req = APIPB__ADD_PEER_REQUEST__INIT;
	Apipb__Peer peer = APIPB__PEER__INIT;
	Apipb__PeerConf conf = APIPB__PEER_CONF__INIT;
	Apipb__RouteReflector rr = APIPB__ROUTE_REFLECTOR__INIT;
	Apipb__Timers timers = APIPB__TIMERS__INIT;
	Apipb__TimersConfig tc = APIPB__TIMERS_CONFIG__INIT;
	Apipb__Transport tr = APIPB__TRANSPORT__INIT;
	Apipb__Family fam = APIPB__FAMILY__INIT;
	Apipb__AfiSafiConfig afc = APIPB__AFI_SAFI_CONFIG__INIT;
	Apipb__AfiSafi af = APIPB__AFI_SAFI__INIT, *afs[1] = { &af };

	if (!p || !valid_addr(p->addr))
		return gbgp_seterr(g, -EINVAL, "AddPeer: bad address %s",
				   p && p->addr ? p->addr : "(null)");
	if (p->local_addr && !valid_addr(p->local_addr))
		return gbgp_seterr(g, -EINVAL,
				   "AddPeer: bad local address %s",
				   p->local_addr);
	if (!p->asn)
		return gbgp_seterr(g, -EINVAL, "AddPeer: AS 0");

	conf.neighbor_address = (char *)p->addr;
	conf.peer_asn = p->asn;
	if (p->password)
		conf.auth_password = (char *)p->password;
	peer.conf = &conf;

	rr.route_reflector_client = p->rr_client;
	peer.route_reflector = &rr;

	/* gobgpd's default connect retry (120 s) is far too slow for us. */
	tc.connect_retry = p->connect_retry ? p->connect_retry :
			   GBGP_DEFAULT_CONNECT_RETRY;
	tc.hold_time = p->hold_time;
	timers.config = &tc;
	peer.timers = &timers;

	if (p->local_addr)
		tr.local_address = (char *)p->local_addr;
	tr.remote_port = p->remote_port;
	tr.passive_mode = p->passive;
	peer.transport = &tr;

	fam.afi = APIPB__FAMILY__AFI__AFI_IP6;
	fam.safi = APIPB__FAMILY__SAFI__SAFI_UNICAST;
	afc.family = &fam;
	afc.enabled = true;
	af.config = &afc;
	peer.n_afi_safis = 1;
	peer.afi_safis = afs;

	req.peer = &peer;
	return unary(g, METHOD(AddPeer), &req.base, NULL, NULL);
}

int gbgp_del_peer(struct gbgp *g, const char *addr)
{
	Apipb__DeletePeerRequest req = APIPB__DELETE_PEER_REQUEST__INIT;

	if (!valid_addr(addr))
		return gbgp_seterr(g, -EINVAL, "DeletePeer: bad address %s",
				   addr ? addr : "(null)");
	req.address = (char *)addr;
	return unary(g, METHOD(DeletePeer), &req.base, NULL, NULL);
}

/* ------------------------------------------------------ local paths */

int gbgp_parse_prefix(const char *s, struct gbgp_route *r)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long plen;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash || slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (errno || *end || plen > 128 ||
	    inet_pton(AF_INET6, buf, &r->prefix) != 1)
		return -EINVAL;
	r->plen = plen;
	return 0;
}

/* gobgpd takes an invalid prefix and advertises garbage: refuse it here. */
static int route_check(struct gbgp *g, const char *op,
		       const struct gbgp_route *r)
{
	char s[INET6_ADDRSTRLEN];
	unsigned int i;

	inet_ntop(AF_INET6, &r->prefix, s, sizeof(s));
	if (r->plen > 128)
		return gbgp_seterr(g, -EINVAL,
				   "%s: invalid prefix %s/%u: length > 128",
				   op, s, r->plen);
	for (i = 0; i < 16; i++) {
		unsigned int bits = r->plen > 8 * i ? r->plen - 8 * i : 0;
		uint8_t host = bits >= 8 ? 0 : 0xff >> bits;

		if (r->prefix.s6_addr[i] & host)
			return gbgp_seterr(g, -EINVAL,
				"%s: invalid prefix %s/%u: host bits set",
				op, s, r->plen);
	}
	if (r->nlarge > GBGP_MAX_LARGE)
		return gbgp_seterr(g, -EINVAL,
				   "%s: %u large communities, max %d", op,
				   r->nlarge, GBGP_MAX_LARGE);
	return 0;
}

/*
 * An IPv6 unicast Path: the NLRI, ORIGIN, MP_REACH_NLRI (which must carry
 * the NLRI again besides the next hop, or gobgpd refuses it) and large
 * communities.  Everything lives in @pm; release with path_free().
 */
struct path_msg {
	Apipb__Path path;
	Apipb__Family fam;
	Apipb__IPAddressPrefix pfx;
	Apipb__OriginAttribute origin;
	Apipb__MpReachNLRIAttribute mp;
	Apipb__LargeCommunitiesAttribute lcs;
	Apipb__LargeCommunity lc[GBGP_MAX_LARGE];
	Apipb__LargeCommunity *lcp[GBGP_MAX_LARGE];
	char pfxstr[INET6_ADDRSTRLEN], nhstr[INET6_ADDRSTRLEN];
	char *nhs[1];
	Google__Protobuf__Any *nlris[1], *attrs[3];
	struct any a_nlri, a_origin, a_mp, a_lcs;
};

static void path_free(struct path_msg *pm)
{
	any_free(&pm->a_nlri);
	any_free(&pm->a_origin);
	any_free(&pm->a_mp);
	any_free(&pm->a_lcs);
}

static int path_build(struct path_msg *pm, const struct gbgp_route *r)
{
	unsigned int i;

	memset(pm, 0, sizeof(*pm));
	apipb__path__init(&pm->path);
	apipb__family__init(&pm->fam);
	pm->fam.afi = APIPB__FAMILY__AFI__AFI_IP6;
	pm->fam.safi = APIPB__FAMILY__SAFI__SAFI_UNICAST;
	pm->path.family = &pm->fam;

	apipb__ipaddress_prefix__init(&pm->pfx);
	inet_ntop(AF_INET6, &r->prefix, pm->pfxstr, sizeof(pm->pfxstr));
	pm->pfx.prefix = pm->pfxstr;
	pm->pfx.prefix_len = r->plen;
	if (any_pack(&pm->a_nlri, &pm->pfx.base))
		goto nomem;
	pm->path.nlri = &pm->a_nlri.pb;

	apipb__origin_attribute__init(&pm->origin);
	pm->origin.origin = 0;			/* IGP */
	if (any_pack(&pm->a_origin, &pm->origin.base))
		goto nomem;
	pm->attrs[pm->path.n_pattrs++] = &pm->a_origin.pb;

	apipb__mp_reach_nlriattribute__init(&pm->mp);
	inet_ntop(AF_INET6, &r->nexthop, pm->nhstr, sizeof(pm->nhstr));
	pm->nhs[0] = pm->nhstr;
	pm->mp.family = &pm->fam;
	pm->mp.n_next_hops = 1;
	pm->mp.next_hops = pm->nhs;
	pm->nlris[0] = &pm->a_nlri.pb;
	pm->mp.n_nlris = 1;
	pm->mp.nlris = pm->nlris;
	if (any_pack(&pm->a_mp, &pm->mp.base))
		goto nomem;
	pm->attrs[pm->path.n_pattrs++] = &pm->a_mp.pb;

	if (r->nlarge) {
		apipb__large_communities_attribute__init(&pm->lcs);
		for (i = 0; i < r->nlarge; i++) {
			apipb__large_community__init(&pm->lc[i]);
			pm->lc[i].global_admin = r->large[i].global_admin;
			pm->lc[i].local_data1 = r->large[i].local1;
			pm->lc[i].local_data2 = r->large[i].local2;
			pm->lcp[i] = &pm->lc[i];
		}
		pm->lcs.n_communities = r->nlarge;
		pm->lcs.communities = pm->lcp;
		if (any_pack(&pm->a_lcs, &pm->lcs.base))
			goto nomem;
		pm->attrs[pm->path.n_pattrs++] = &pm->a_lcs.pb;
	}
	pm->path.pattrs = pm->attrs;
	return 0;
nomem:
	path_free(pm);
	return -ENOMEM;
}

int gbgp_add_path(struct gbgp *g, const struct gbgp_route *r)
{
	Apipb__AddPathRequest req = APIPB__ADD_PATH_REQUEST__INIT;
	struct path_msg *pm;
	int ret;

	ret = route_check(g, "AddPath", r);
	if (ret)
		return ret;
	pm = malloc(sizeof(*pm));
	if (!pm || path_build(pm, r)) {
		free(pm);
		return gbgp_seterr(g, -ENOMEM, "AddPath: out of memory");
	}
	req.table_type = APIPB__TABLE_TYPE__GLOBAL;
	req.path = &pm->path;
	ret = unary(g, METHOD(AddPath), &req.base,
		    &apipb__add_path_response__descriptor, NULL);
	path_free(pm);
	free(pm);
	return ret;
}

int gbgp_del_path(struct gbgp *g, const struct gbgp_route *r)
{
	Apipb__DeletePathRequest req = APIPB__DELETE_PATH_REQUEST__INIT;
	struct path_msg *pm;
	int ret;

	ret = route_check(g, "DeletePath", r);
	if (ret)
		return ret;
	pm = malloc(sizeof(*pm));
	if (!pm || path_build(pm, r)) {
		free(pm);
		return gbgp_seterr(g, -ENOMEM, "DeletePath: out of memory");
	}
	/* Never leave path (and uuid) empty: that deletes every path. */
	pm->path.is_withdraw = true;
	req.table_type = APIPB__TABLE_TYPE__GLOBAL;
	req.family = &pm->fam;
	req.path = &pm->path;
	ret = unary(g, METHOD(DeletePath), &req.base, NULL, NULL);
	path_free(pm);
	free(pm);
	return ret;
}

/* ------------------------------------------------- received paths */

/* Mark @r malformed; the message lives in g->path_err. */
static bool __attribute__((format(printf, 3, 4)))
path_bad(struct gbgp *g, struct gbgp_route *r, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(g->path_err, sizeof(g->path_err), "path from %s: %s",
		 r->neighbor[0] ? r->neighbor : "local", msg);
	r->error = g->path_err;
	return true;
}

static bool attr_decode(struct gbgp *g, const Google__Protobuf__Any *a,
			struct gbgp_route *r, bool *has_nh)
{
	const ProtobufCMessageDescriptor *d = NULL;
	ProtobufCMessage *m;
	size_t i;

	if (any_is(a, &apipb__origin_attribute__descriptor))
		d = &apipb__origin_attribute__descriptor;
	else if (any_is(a, &apipb__mp_reach_nlriattribute__descriptor))
		d = &apipb__mp_reach_nlriattribute__descriptor;
	else if (any_is(a, &apipb__large_communities_attribute__descriptor))
		d = &apipb__large_communities_attribute__descriptor;
	else if (any_is(a, &apipb__local_pref_attribute__descriptor))
		d = &apipb__local_pref_attribute__descriptor;
	else
		return true;		/* not ours to understand */

	m = any_unpack(a, d);
	if (!m)
		return !path_bad(g, r, "malformed %s", d->short_name);

	if (d == &apipb__origin_attribute__descriptor) {
		Apipb__OriginAttribute *o = (void *)m;

		if (o->origin > 2)
			path_bad(g, r, "origin %u", o->origin);
		r->origin = o->origin;
	} else if (d == &apipb__mp_reach_nlriattribute__descriptor) {
		Apipb__MpReachNLRIAttribute *mp = (void *)m;

		/* A second next hop, if any, is the link-local one. */
		if (!mp->n_next_hops ||
		    inet_pton(AF_INET6, mp->next_hops[0], &r->nexthop) != 1)
			path_bad(g, r, "bad next hop %s",
				 mp->n_next_hops ? mp->next_hops[0] : "none");
		*has_nh = true;
	} else if (d == &apipb__large_communities_attribute__descriptor) {
		Apipb__LargeCommunitiesAttribute *l = (void *)m;

		if (l->n_communities > GBGP_MAX_LARGE) {
			path_bad(g, r, "%zu large communities, max %d",
				 l->n_communities, GBGP_MAX_LARGE);
		} else {
			for (i = 0; i < l->n_communities; i++) {
				r->large[i].global_admin =
					l->communities[i]->global_admin;
				r->large[i].local1 =
					l->communities[i]->local_data1;
				r->large[i].local2 =
					l->communities[i]->local_data2;
			}
			r->nlarge = l->n_communities;
		}
	} else {
		r->local_pref = ((Apipb__LocalPrefAttribute *)m)->local_pref;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return !r->error;
}

/*
 * Decode @p into @r.  False if it is not an IPv6 unicast path (skip it);
 * true otherwise, with r->error set if it is malformed.
 */
static bool path_decode(struct gbgp *g, const Apipb__Path *p,
			struct gbgp_route *r)
{
	Apipb__IPAddressPrefix *pfx;
	bool has_nh = false;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (p->family && (p->family->afi != APIPB__FAMILY__AFI__AFI_IP6 ||
			  p->family->safi != APIPB__FAMILY__SAFI__SAFI_UNICAST))
		return false;

	r->withdraw = p->is_withdraw;
	r->best = p->best;
	r->identifier = p->identifier;
	r->source_asn = p->source_asn;
	/* gobgpd names the source of a local path "<nil>". */
	if (p->neighbor_ip && strcmp(p->neighbor_ip, "<nil>")) {
		if (strlen(p->neighbor_ip) >= sizeof(r->neighbor))
			return path_bad(g, r, "neighbor address too long");
		strcpy(r->neighbor, p->neighbor_ip);
	}
	if (!p->family)
		return path_bad(g, r, "no address family");
	if (!any_is(p->nlri, &apipb__ipaddress_prefix__descriptor))
		return path_bad(g, r, "NLRI of type %s",
				p->nlri && p->nlri->type_url ?
				p->nlri->type_url : "none");
	pfx = any_unpack(p->nlri, &apipb__ipaddress_prefix__descriptor);
	if (!pfx)
		return path_bad(g, r, "malformed NLRI");
	if (pfx->prefix_len > 128 ||
	    inet_pton(AF_INET6, pfx->prefix, &r->prefix) != 1)
		path_bad(g, r, "bad prefix %.64s/%u", pfx->prefix,
			 pfx->prefix_len);
	r->plen = pfx->prefix_len;
	protobuf_c_message_free_unpacked(&pfx->base, NULL);
	if (r->error)
		return true;

	for (i = 0; i < p->n_pattrs; i++)
		if (!attr_decode(g, p->pattrs[i], r, &has_nh))
			return true;
	if (!r->withdraw && !has_nh)
		return path_bad(g, r, "no next hop");
	return true;
}

int gbgp_decode_path(struct gbgp *g, const void *buf, size_t len,
		     struct gbgp_route *r)
{
	Apipb__Path *p = apipb__path__unpack(NULL, len, buf);
	bool got;

	if (!p)
		return -EBADMSG;
	got = path_decode(g, p, r);
	apipb__path__free_unpacked(p, NULL);
	return got;
}

struct list_ctx {
	struct gbgp *g;
	int (*cb)(const struct gbgp_route *r, void *arg);
	void *arg;
	int count;
};

static int list_msg(const uint8_t *buf, size_t len, void *arg)
{
	struct list_ctx *c = arg;
	Apipb__ListPathResponse *rsp;
	struct gbgp_route r;
	Apipb__Destination *d;
	size_t i;
	int ret = 0;

	rsp = apipb__list_path_response__unpack(NULL, len, buf);
	if (!rsp) {
		memset(&r, 0, sizeof(r));
		path_bad(c->g, &r, "undecodable ListPath reply (%zu bytes)",
			 len);
		c->count++;
		return c->cb(&r, c->arg);
	}
	d = rsp->destination;
	for (i = 0; d && i < d->n_paths && !ret; i++) {
		if (!path_decode(c->g, d->paths[i], &r))
			continue;
		c->count++;
		ret = c->cb(&r, c->arg);
	}
	apipb__list_path_response__free_unpacked(rsp, NULL);
	return ret;
}

int gbgp_list_paths(struct gbgp *g,
		    int (*cb)(const struct gbgp_route *r, void *arg),
		    void *arg)
{
	Apipb__ListPathRequest req = APIPB__LIST_PATH_REQUEST__INIT;
	Apipb__Family fam = APIPB__FAMILY__INIT;
	struct list_ctx c = { g, cb, arg, 0 };
	int ret;

	fam.afi = APIPB__FAMILY__AFI__AFI_IP6;
	fam.safi = APIPB__FAMILY__SAFI__SAFI_UNICAST;
	req.table_type = APIPB__TABLE_TYPE__GLOBAL;
	req.family = &fam;
	ret = call_msg(g, METHOD(ListPath), &req.base, list_msg, &c);
	return ret ? ret : c.count;
}

/* ------------------------------------------------------------ watch */

int gbgp_watch_start(struct gbgp *g)
{
	Apipb__WatchEventRequest req = APIPB__WATCH_EVENT_REQUEST__INIT;
	Apipb__WatchEventRequest__Peer peer =
		APIPB__WATCH_EVENT_REQUEST__PEER__INIT;
	Apipb__WatchEventRequest__Table table =
		APIPB__WATCH_EVENT_REQUEST__TABLE__INIT;
	Apipb__WatchEventRequest__Table__Filter f =
		APIPB__WATCH_EVENT_REQUEST__TABLE__FILTER__INIT;
	Apipb__WatchEventRequest__Table__Filter *fs[1] = { &f };
	uint8_t buf[64];

	/*
	 * POST_POLICY reports every path learned from a neighbor, with
	 * withdrawals (also when the neighbor goes down), unlike BEST (only
	 * best paths) and ADJIN (nothing when a neighbor goes down).  "init"
	 * dumps what is already there first.
	 */
	f.type = APIPB__WATCH_EVENT_REQUEST__TABLE__FILTER__TYPE__POST_POLICY;
	f.init = true;
	table.n_filters = 1;
	table.filters = fs;
	req.peer = &peer;
	req.table = &table;
	if (protobuf_c_message_get_packed_size(&req.base) > sizeof(buf))
		return gbgp_seterr(g, -EOVERFLOW, "WatchEvent: request size");
	return gbgp_stream_start(g, METHOD(WatchEvent), buf,
				 protobuf_c_message_pack(&req.base, buf));
}

void gbgp_watch_stop(struct gbgp *g)
{
	gbgp_stream_stop(g);
	if (g->cur)
		protobuf_c_message_free_unpacked(g->cur, NULL);
	g->cur = NULL;
}

int gbgp_watch_fd(struct gbgp *g)
{
	return g->efd >= 0 ? g->efd : -EBADF;
}

static bool peer_decode(const Apipb__WatchEventResponse__PeerEvent *pe,
			struct gbgp_event *ev)
{
	const Apipb__PeerState *st;
	const char *addr;

	/* END_OF_INIT carries no neighbor. */
	if (!pe || !pe->peer || !pe->peer->state ||
	    (pe->type != APIPB__WATCH_EVENT_RESPONSE__PEER_EVENT__TYPE__INIT &&
	     pe->type != APIPB__WATCH_EVENT_RESPONSE__PEER_EVENT__TYPE__STATE))
		return false;
	st = pe->peer->state;
	addr = st->neighbor_address;
	if ((!addr || !*addr) && pe->peer->conf)
		addr = pe->peer->conf->neighbor_address;
	if (!addr || strlen(addr) >= sizeof(ev->peer.addr))
		return false;

	memset(ev, 0, sizeof(*ev));
	ev->type = GBGP_EV_PEER;
	strcpy(ev->peer.addr, addr);
	ev->peer.asn = st->peer_asn;
	if (st->session_state <= APIPB__PEER_STATE__SESSION_STATE__ESTABLISHED)
		ev->peer.state = (enum gbgp_peer_state)st->session_state;
	ev->peer.admin_down =
		st->admin_state != APIPB__PEER_STATE__ADMIN_STATE__UP;
	return true;
}

/* Next event of the message in g->cur; frees it once exhausted. */
static bool next_event(struct gbgp *g, struct gbgp_event *ev)
{
	Apipb__WatchEventResponse *w = (void *)g->cur;
	bool got = false;

	switch (w->event_case) {
	case APIPB__WATCH_EVENT_RESPONSE__EVENT_PEER:
		if (g->cur_idx++ == 0)
			got = peer_decode(w->peer, ev);
		break;
	case APIPB__WATCH_EVENT_RESPONSE__EVENT_TABLE:
		while (!got && w->table && g->cur_idx < w->table->n_paths) {
			ev->type = GBGP_EV_PATH;
			got = path_decode(g, w->table->paths[g->cur_idx++],
					  &ev->route);
			/* Local paths only show up in the initial dump. */
			if (got && !ev->route.error && !ev->route.neighbor[0])
				got = false;
		}
		break;
	default:
		break;
	}
	if (!got) {
		protobuf_c_message_free_unpacked(g->cur, NULL);
		g->cur = NULL;
	}
	return got;
}

int gbgp_watch_dispatch(struct gbgp *g,
			int (*cb)(const struct gbgp_event *ev, void *arg),
			void *arg)
{
	struct gbgp_event ev;
	struct gbgp_msg *m;
	uint64_t n;
	int ret;

	/* Reset first: whatever is queued after this re-arms the fd. */
	if (g->efd >= 0 && read(g->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return gbgp_seterr(g, -errno, "eventfd: %s", strerror(errno));

	for (;;) {
		if (!g->cur) {
			m = gbgp_stream_pop(g);
			if (!m)
				return 0;
			if (m->end) {
				memset(&ev, 0, sizeof(ev));
				ev.type = GBGP_EV_STREAM_END;
				ev.end.err = m->err;
				snprintf(g->err, sizeof(g->err), "%s",
					 (char *)m->data);
				ev.end.msg = g->err;
				free(m);
				gbgp_watch_stop(g);
				return cb(&ev, arg);
			}
			g->cur = (ProtobufCMessage *)
				apipb__watch_event_response__unpack(NULL,
						m->len, m->data);
			g->cur_idx = 0;
			if (!g->cur) {
				memset(&ev, 0, sizeof(ev));
				ev.type = GBGP_EV_PATH;
				path_bad(g, &ev.route,
					 "undecodable WatchEvent (%zu bytes)",
					 m->len);
				free(m);
				ret = cb(&ev, arg);
				if (ret)
					goto stop;
				continue;
			}
			free(m);
		}
		if (!next_event(g, &ev))
			continue;
		ret = cb(&ev, arg);
		if (ret)
			goto stop;
	}
stop:
	/* Events may remain: keep the fd readable for the next round. */
	n = 1;
	if (write(g->efd, &n, sizeof(n)) < 0)
		return ret;
	return ret;
}
