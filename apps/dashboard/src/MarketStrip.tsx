import { MARKET_ZONES, marketText } from './format';
import type { TokenStatusView } from './types';

/** NSE and NYSE: open or not, and the next open or close in the exchange's own time. */
export function MarketStrip({ market, now }: { market: TokenStatusView | undefined; now: number }) {
  return (
    <section className="markets" aria-label="Markets">
      {(['NSE', 'NYSE'] as const).map((ex) => {
        const m = market?.market[ex];
        const t = m ? marketText(m, MARKET_ZONES[ex], now) : undefined;
        return (
          <p key={ex} className="market" data-exchange={ex}>
            <strong>{ex}</strong>{' '}
            {t ? (
              <>
                <span className={`pill tone-${t.tone}`}>{t.status}</span> <span className="muted">{t.next}</span>
              </>
            ) : (
              <span className="muted">…</span>
            )}
          </p>
        );
      })}
    </section>
  );
}
