/*
 * bridged, the privileged parent: configuration, children, control socket.
 */
#ifndef BRIDGED_H
#define BRIDGED_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <time.h>

#include "ipc_event.h"
#include "proc.h"

#define BRIDGED_STOP_TIMEOUT	2	/* seconds before SIGKILL at exit */
#define RESTART_MIN_MS		250	/* first restart delay */
#define RESTART_MAX_MS		30000
#define RESTART_STABLE_SEC	60	/* a child up this long restarts fast again */
#define RELINK_DELAY_SEC	1	/* before a broken peer channel is replaced */

struct bridged_conf;

enum child_state {
	CHILD_STOPPED = 0,
	CHILD_STARTING,		/* executed, config not yet acknowledged */
	CHILD_RUNNING,
	CHILD_RESTARTING	/* dead, waiting for its restart delay */
};

struct child {
	enum kb_proc		 id;
	pid_t			 pid;
	enum child_state	 state;
	struct ipc_ev		 iev;
	struct event		 restart_ev;
	struct event		 relink_ev;
	uint32_t		 relink;	/* PROC_BIT()s of peers to relink */
	time_t			 started;
	uint32_t		 restarts;
	uint32_t		 quick_deaths;
	uint32_t		 cfg_acked;
	uint32_t		 links;		/* PROC_BIT()s of peers it hears */
	char			 last_exit[64];
};

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct ipc_ev		 iev;
	uint32_t		 id;	/* names it in requests to children */
};

struct bridged {
	struct event_base	*base;
	struct bridged_conf	*conf;
	const char		*conffile;
	const char		*libexecdir;
	int			 foreground;
	int			 verbose;
	int			 stopping;
	uint32_t		 cfg_gen;
	time_t			 started;
	struct child		 children[PROC_MAX];
	TAILQ_HEAD(, ctl_conn)	 ctl_conns;
	int			 ctl_fd;
	struct event		 ctl_ev;
};

extern struct bridged	*env;

/* children.c */
void		 children_start(void);
void		 children_reap(void);
void		 children_stop(void);
struct child	*child_get(enum kb_proc);
const char	*child_state_name(enum child_state);
void		 child_send_config(struct child *);

/* control.c */
int		 control_init(const char *);
void		 control_cleanup(const char *);
void		 control_relay(struct child *, struct ipc_msg *);

/* config_send.c */
void		 config_push(void);
int		 config_send(struct child *);

/* resolve.c */
void		 resolve_request(struct child *, struct ipc_msg *);

/* auth.c */
void		 auth_check(struct child *, struct ipc_msg *);
void		 auth_answer(struct child *, struct ipc_msg *);

/* bridged.c */
int		 bridged_reload(char *, size_t);
void		 bridged_setverbose(int);

#endif /* BRIDGED_H */
