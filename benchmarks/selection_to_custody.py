"""Selection to custody as a new user meets it: selections in a generated world, then the custody flow.

    python benchmarks/selection_to_custody.py [--days 10] [--scale 0.02] [--select-days 3]

A world is generated (ending now, so boxes are still on their way) and loaded through ingest; a daily
selection runs per hub for the last `--select-days` days; the baseline in the same run is what the
selections alone leave (custody plans: the issue found 0 after 14 selections); then one run of the
`custody-plan-physical-checks` job's flow and dispatch (local terminal gateway). Prints one JSON object:
selected items, plans opened before and after, why the rest got none, instructions delivered, seconds."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--select-days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    from mainport import flows
    from mainport.cases.models import Alert
    from mainport.custody import instructions
    from mainport.custody.models import CustodyPlan
    from mainport.custody.terminal import LocalTerminalGateway
    from mainport.database import Base, build_engine
    from mainport.database.core import make_session_factory
    from mainport.domains import load_models
    from mainport.identity.principal import system_principal
    from mainport.reference.nodes import NODES
    from mainport.shipments.models import Declaration
    from mainport.targeting import service as targeting
    from mainport.world import WorldConfig, generate_world
    from mainport.world.generate import load_world

    load_models()
    actor = system_principal()
    with tempfile.TemporaryDirectory(prefix="mp-s2c-") as tmp:
        folder = Path(tmp)
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        start = (now - timedelta(days=args.days - 3)).date()  # a world that ends a few days from now
        config = WorldConfig(days=args.days, seed=args.seed, scale=args.scale, now=now, start=start)
        generate_world(config, folder / "world")
        engine = build_engine(f"sqlite:///{folder / 'mp.db'}")
        Base.metadata.create_all(engine)
        factory = make_session_factory(engine)
        load_world(folder / "world", factory, actor, kinds=("declarations", "events"), merged=True)
        loaded_s = time.perf_counter() - t0
        result: dict[str, object] = {"days": args.days, "scale": args.scale, "load_s": round(loaded_s, 1)}
        with factory.begin() as s:
            # The sea hubs' last filing day (air and road boxes have no container to guard).
            last = s.scalar(select(func.max(Declaration.filed_at)).where(Declaration.mode == "sea"))
            assert last is not None, "the world filed no declaration"
            days = [(last - timedelta(days=d)).date() for d in range(args.select_days)]
            selections = items = 0
            for day in sorted(days):
                for hub in NODES:
                    sel = targeting.run_selection(
                        session=s, actor=actor, hub=hub, day=day, strategy="mixed", seed=day.toordinal()
                    )
                    selections += 1
                    items += len(sel.items)
            before = s.scalar(select(func.count()).select_from(CustodyPlan)) or 0
            alerts = s.execute(
                select(Alert.kind, Alert.status, Alert.container_number.is_(None), func.count()).group_by(
                    Alert.kind, Alert.status, Alert.container_number.is_(None)
                )
            ).all()
            result["alerts"] = [list(map(str, a)) for a in alerts]
        t1 = time.perf_counter()
        with factory.begin() as s:
            run = flows.plan_physical_checks(session=s, actor=actor)
            sent = instructions.dispatch(
                session=s, actor=actor, gateway=LocalTerminalGateway(folder / "terminal_outbox")
            )
            plans = s.scalars(select(CustodyPlan)).all()
            states: dict[str, int] = {}
            for p in plans:
                states[p.state] = states.get(p.state, 0) + 1
        result.update(
            selections=selections,
            selected_items=items,
            plans_after_selections_only=before,
            plans_opened_by_flow=len(run.opened),
            already_planned=run.already_planned,
            no_terminal_in_events=run.no_terminal,
            already_left_port=run.already_left,
            plan_states=states,
            instructions_delivered=sent["sent"],
            flow_s=round(time.perf_counter() - t1, 2),
        )
        print(json.dumps(result))


if __name__ == "__main__":
    main()
