"""The Celery queues, named once: settings route tasks to them, and every worker command (runstack,
docker-compose.yml, the test harness, the benchmarks) says which it consumes.

Deliveries (every channel: email, webhook, push, SMS) have a queue and worker processes of their own,
so a burst of escalations never makes a message wait behind the timers, and a slow mail server or
push service never delays an escalation. Everything else (escalation timers, the sweeper, digests)
stays on Celery's default queue.
"""

ESCALATION_QUEUE = "celery"  # Celery's default queue name: the timers, the sweeper, the digests
DELIVERY_QUEUE = "deliveries"
ALL_QUEUES = f"{ESCALATION_QUEUE},{DELIVERY_QUEUE}"
