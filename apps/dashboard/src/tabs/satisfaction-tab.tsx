// Satisfaction: reviews, mean rating, satisfaction and recommendation rates, the ratings' spread
// (rating_distribution, stored values other than 1–5 included) and the last days' mean rating.
import { Chart } from '../charts/chart.js';
import { cartesianOption } from '../charts/options.js';
import { KpiGrid } from '../components/kpi-grid.js';
import { formatBucket, formatValue } from '../format/fr.js';
import { useSection } from '../live/view-context.js';
import { Loaded, entriesOf } from './common.js';

export function SatisfactionTab() {
  const satisfaction = useSection('satisfaction');
  const trends = useSection('trends');
  return (
    <>
      <h2>Satisfaction</h2>
      <Loaded resource={satisfaction} what="satisfaction">
        {(s) => (
          <>
            <KpiGrid
              label="Satisfaction"
              figures={[
                { metric: 'satisfaction.total_reviews', label: 'Total avis', value: s.total_reviews, kind: 'integer' },
                { metric: 'satisfaction.avg_rating', label: 'Note moyenne', value: s.avg_rating, kind: 'rating' },
                { metric: 'satisfaction.satisfaction_rate', label: 'Taux de satisfaction', value: s.satisfaction_rate, kind: 'percent' },
                { metric: 'satisfaction.recommendation_rate', label: 'Taux de recommandation', value: s.recommendation_rate, kind: 'percent' },
              ]}
            />
            <div className="charts">
              <Chart
                name="rating-distribution"
                title="Répartition des notes"
                summary={entriesOf(s.rating_distribution).map(([rating, count]) => `${rating} étoile(s) : ${formatValue(count, 'integer')}`).join(', ')}
                option={cartesianOption('bar', entriesOf(s.rating_distribution).map(([rating]) => `${rating} ★`), [
                  { name: 'Avis', values: entriesOf(s.rating_distribution).map(([, count]) => count), kind: 'integer' },
                ])}
                table={{ columns: ['Note', 'Avis'], rows: entriesOf(s.rating_distribution).map(([rating, count]) => [`${rating} / 5`, formatValue(count, 'integer')]) }}
              />
              <Loaded resource={trends} what="notes par jour">
                {(t) => {
                  const days = entriesOf(t.ratings.daily);
                  return (
                    <Chart
                      name="ratings-daily"
                      title="Notes des 7 derniers jours"
                      summary={days.map(([day, bucket]) => `${formatBucket(day)} : ${formatValue(bucket.avg_rating, 'rating')}`).join(', ')}
                      option={cartesianOption(
                        'line',
                        days.map(([day]) => formatBucket(day)),
                        [
                          { name: 'Note moyenne', values: days.map(([, bucket]) => bucket.avg_rating), kind: 'rating' },
                          { name: 'Avis', values: days.map(([, bucket]) => bucket.reviews), kind: 'integer', rightAxis: true },
                        ],
                        { zoom: true },
                      )}
                    />
                  );
                }}
              </Loaded>
            </div>
          </>
        )}
      </Loaded>
    </>
  );
}
