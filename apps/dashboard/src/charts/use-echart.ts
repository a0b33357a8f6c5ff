// ECharts is half of the page's weight (~600 kB minified): it is fetched with the first chart drawn,
// in its own file, not with the page, so the figures of a tab show while it loads. Mali's outline
// comes in the same trip (the map of Géographie and of map widgets).
import { useEffect, useRef, useState, type RefObject } from 'react';
import type { EChartsOption } from './echarts.js';
import { errorMessage } from '../format/error-message.js';

type EChartsModule = typeof import('./echarts.js');
type ECharts = ReturnType<EChartsModule['echarts']['init']>;
type SetOptionSettings = Parameters<ECharts['setOption']>[1];

let loading: Promise<EChartsModule> | null = null;

/** The chart library, registered (components, French locale, Mali's map); fetched once. */
function loadEcharts(): Promise<EChartsModule> {
  loading ??= Promise.all([import('./echarts.js'), import('./mali-map.js')]).then(
    ([module]) => module,
    (error: unknown) => {
      // A failed fetch (the server restarted with a new build…) is tried again by the next chart.
      loading = null;
      throw error;
    },
  );
  return loading;
}

/**
 * Draws `option` in the element `box` once the library is there, then again whenever the caller
 * hands a different `option` object (the caller memoizes it: an equal option is not redrawn, so an
 * unrelated render does not restart the animation or reset the zoom). Resized with its box.
 * Returns why the chart cannot be drawn, if it cannot.
 */
export function useEChart(box: RefObject<HTMLDivElement | null>, option: EChartsOption, settings: SetOptionSettings): string | null {
  const chart = useRef<ECharts | null>(null);
  const latest = useRef({ option, settings });
  latest.current = { option, settings };
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let disposed = false;
    let release = (): void => undefined;
    loadEcharts().then(
      ({ echarts }) => {
        const element = box.current;
        if (disposed || !element) return;
        const instance = echarts.init(element, undefined, { renderer: 'canvas', locale: 'FR' });
        const observer = new ResizeObserver(() => instance.resize());
        observer.observe(element);
        chart.current = instance;
        release = () => {
          observer.disconnect();
          instance.dispose();
          chart.current = null;
        };
        instance.setOption(latest.current.option, latest.current.settings);
      },
      (error: unknown) => {
        if (!disposed) setFailure(`graphique indisponible (${errorMessage(error)})`);
      },
    );
    return () => {
      disposed = true;
      release();
    };
  }, [box]);

  useEffect(() => {
    chart.current?.setOption(option, latest.current.settings);
  }, [option]);

  return failure;
}
