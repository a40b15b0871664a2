#!/usr/bin/env bash
# The least privilege of each Messaging process on RabbitMQ, as rabbitmqctl arguments. Sourced by
# add-process-users.sh (rabbitmqctl on the broker's machine) and by the compose broker's start script.
# Names come from the real topology (a test vhost listed with `rabbitmqctl list_exchanges/list_queues`):
#   Messaging.Contracts:<Type>        one fanout exchange per message type
#   create-service, service-lifecycle, service-logs, service-stats, nodes, stacks, audit, webhook-deliveries, webhook-attempts,
#   edge-routes
#                                     the consumers' quorum queues, each with an exchange of the same name,
#                                     and their _error / _skipped twins (queue and exchange)
#   webhook-attempts-wait-<ms>ms      the audit host's webhook retry wait queues (TTL, dead-lettered back to
#                                     webhook-attempts), each with an exchange of the same name
#   api_build-logs_<id>               each API process's own auto-delete queue (and exchange) of live build log
#                                     lines (ImageBuildLogged), bound to that event's exchange
#   api_bus_<id>, worker_bus_<id>, audit_bus_<id>, edge_bus_<id>
#                                     each host's temporary bus endpoint (replies, faults): queue + exchange
#   MassTransit:Fault--<type>--       fault events, published when a consumer throws
#   MassTransit:ReceiveFault          published when a delivery fails before any consumer ran (a body that is
#                                     not JSON, an unknown envelope): without it the move to <queue>_error fails
#                                     and the poison message is redelivered for ever
# RabbitMQ's three patterns: configure (declare/delete), write (publish to an exchange; bind to a queue or
# exchange), read (consume or get from a queue; bind from an exchange).

commands='Messaging\.Contracts:((Create|Stop|Start|Restart|Remove)Service|(Create|Remove)Stack|BuildImage)'
worker_requests='Messaging\.Contracts:(GetService(Logs|Stats)|GetNodes)'
events='Messaging\.Contracts:(Service|Stack|Image)[A-Za-z]+'
faults='MassTransit:(Receive)?Fault(--.*)?'

# The API: declares the command exchanges and the worker's command queues (so a command published before
# any worker started is kept), binds them, publishes commands and log, stats and node requests, and reads only its own reply
# queue. It can bind from the command exchanges but read no queue of the worker's: it cannot consume a command.
# Its one subscription: live build log lines, on a queue of each API process's own. It cannot publish that event.
build_log_lines='Messaging\.Contracts:ImageBuildLogged'
api_configure="^($commands|$worker_requests|$build_log_lines|create-service|service-lifecycle|stacks|builds|api_bus_.*|api_build-logs_.*)\$"
api_write="^($commands|$worker_requests|create-service|service-lifecycle|stacks|builds|api_bus_.*|api_build-logs_.*)\$"
api_read="^($commands|$build_log_lines|api_bus_.*|api_build-logs_.*)\$"

# The worker: its four queues (and their error twins), the events and faults it publishes, and the API's
# reply queues it answers log, stats and node requests on. It cannot publish a command.
worker_configure="^($commands|$worker_requests|$events|$faults|(create-service|service-lifecycle|service-logs|service-stats|nodes|stacks|builds)(_error|_skipped)?|worker_bus_.*|api_bus_.*)\$"
worker_write="^($events|$faults|(create-service|service-lifecycle|service-logs|service-stats|nodes|stacks|builds)(_error|_skipped)?|worker_bus_.*|api_bus_.*)\$"
worker_read="^($commands|$faults|$worker_requests|(create-service|service-lifecycle|service-logs|service-stats|nodes|stacks|builds)(_error|_skipped)?|worker_bus_.*)\$"

# The audit host: its two queues bound to every command and event exchange (MassTransit declares the
# exchanges it binds, hence configure on them). It publishes nothing to them: no write on Messaging.Contracts.
# Its webhook deliveries go to webhook-attempts and wait for their retries in webhook-attempts-wait-<ms>ms (declaring
# a queue with a dead-letter exchange needs read on the queue and write on that exchange).
audit_queues='(audit|webhook-deliveries|webhook-attempts(-wait-[0-9]+ms)?)(_error|_skipped)?'
audit_configure="^(Messaging\.Contracts:.*|$faults|$audit_queues|audit_bus_.*)\$"
audit_write="^($faults|$audit_queues|audit_bus_.*)\$"
audit_read="^($faults|Messaging\.Contracts:.*|$audit_queues|audit_bus_.*)\$"

# The edge host: its queue edge-routes bound to every event exchange (a sync per event), and the one event it
# publishes, ServiceCertificateFailed. No command, no other event: it cannot announce a service's lifecycle.
edge_queues='edge-routes(_error|_skipped)?'
edge_configure="^($events|$faults|$edge_queues|edge_bus_.*)\$"
edge_write="^(Messaging\.Contracts:ServiceCertificateFailed|$faults|$edge_queues|edge_bus_.*)\$"
edge_read="^($events|$faults|$edge_queues|edge_bus_.*)\$"

# impersonator: MassTransit moves a message that failed to the queue's _error twin with the properties it
# arrived with, user_id included; RabbitMQ accepts another user's user_id only from an impersonator. The
# worker, the audit host and the edge host may write to no command exchange, so this cannot make them a command's publisher.
api_tags=''
worker_tags='impersonator'
audit_tags='impersonator'
edge_tags='impersonator'
